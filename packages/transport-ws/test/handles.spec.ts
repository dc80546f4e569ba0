import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

describe('ws transport: close() leaves no handles', function () {
  this.timeout(60_000)

  it('a process whose transports are closed exits on its own', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=@raftkit/source',
        join(here, 'fixtures', 'close-and-exit.ts'),
      ],
      { cwd: join(here, '..'), stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    // Deadline, not a speed check: a leaked handle keeps the child alive forever.
    const limit = setTimeout(() => child.kill('SIGKILL'), 45_000)
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
      child.on('exit', (c, s) => resolve([c, s])),
    )
    clearTimeout(limit)
    expect(signal, `the child did not exit by itself:\n${output}`).to.equal(null)
    expect(code, output).to.equal(0)
    expect(output).to.include('closed')
    expect(output).to.include('black hole sockets: 1')
    expect(output).to.include('leaked resources: []')
  })
})

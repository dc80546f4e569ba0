/**
 * `raftkit serve` start-up failures (issue 11, item 6): a data directory that cannot be created
 * (under /proc, where Node's recursive mkdir loops forever), that is not a directory, or that is
 * not writable ends at once with exit code 2 and a message naming `nodes[i].dataDir`; and a
 * signal that arrives while start-up is stuck ends the command. Every wait is bounded.
 */
import { execFileSync } from 'node:child_process'
import { constants } from 'node:fs'
import { chmod, mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { runCli } from '../src/cli/commands.js'
import { freePort } from '../src/config/free-port.js'

function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

describe('raftkit serve: start-up failures', function () {
  this.timeout(30_000)
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftkit-startup-'))
  })
  after(async () => {
    await chmod(join(dir, 'locked'), 0o700).catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  })

  async function clusterFile(
    dataDir: string,
    extra: Record<string, unknown> = {},
  ): Promise<string> {
    const file = join(dir, `cluster-${Math.random().toString(36).slice(2)}.json`)
    const node = (id: string, data: string): Record<string, unknown> => ({
      id,
      peer: `127.0.0.1:${0}`,
      http: `127.0.0.1:${0}`,
      dataDir: data,
    })
    const nodes = [node('n1', dataDir), node('n2', join(dir, 'n2'))]
    for (const n of nodes) {
      n.peer = `127.0.0.1:${await freePort('127.0.0.1')}`
      n.http = `127.0.0.1:${await freePort('127.0.0.1')}`
    }
    await writeFile(
      file,
      JSON.stringify({ nodes, secret: 'x'.repeat(16), logLevel: 'silent', ...extra }),
    )
    return file
  }

  async function serve(
    file: string,
    interrupted: Promise<void> = new Promise<void>(() => undefined),
  ): Promise<{ code: number; err: string }> {
    let err = ''
    const code = await runCli(['serve', '--config', file, '--id', 'n1'], {
      out: () => undefined,
      err: (t) => (err += t),
      interrupted,
    })
    return { code, err }
  }

  const cases: Array<[string, () => Promise<string>, RegExp]> = [
    ['cannot be created (under /proc)', async () => '/proc/raftkit-nope', /cannot be created/],
    [
      'is a file',
      async () => {
        const f = join(dir, 'a-file')
        await writeFile(f, 'x')
        return f
      },
      /not a directory/,
    ],
    [
      'is under a file',
      async () => {
        const f = join(dir, 'another-file')
        await writeFile(f, 'x')
        return join(f, 'sub')
      },
      /is not a directory/,
    ],
    [
      'is not writable',
      async () => {
        if (process.getuid?.() === 0) return '/sys' // root may write anywhere else
        const d = join(dir, 'locked')
        await mkdir(d)
        await chmod(d, 0o500)
        return d
      },
      /not writable/,
    ],
  ]
  for (const [what, dataDir, message] of cases)
    it(`a dataDir that ${what} ends at once: exit code 2, naming nodes[0].dataDir`, async () => {
      const file = await clusterFile(await dataDir())
      const r = await within(10_000, serve(file), 'raftkit serve ending')
      expect(r.code).to.equal(2)
      expect(r.err).to.include('"nodes[0].dataDir"').and.match(message)
    })

  it('a signal while start-up is stuck ends the command', async () => {
    // The node's certificate file is a FIFO nobody writes: reading it blocks start-up.
    const fifo = join(dir, 'cert.fifo')
    execFileSync('mkfifo', [fifo])
    const file = await clusterFile(join(dir, 'n1'), {
      tls: { certFile: fifo, keyFile: join(dir, 'no-such-key.pem') },
    })
    let signal: () => void = () => undefined
    const interrupted = new Promise<void>((r) => (signal = r))
    const serving = serve(file, interrupted)
    await new Promise((r) => setTimeout(r, 200))
    signal()
    try {
      const r = await within(5000, serving, 'raftkit serve ending on a signal during start-up')
      expect(r.code).to.equal(0)
    } finally {
      // Unblock the pending read, if any (a writer opens and closes the FIFO; non-blocking, so
      // this fails with ENXIO rather than waiting when nobody reads).
      // Retried (bounded) until the reader is there, so no read stays blocked after the test.
      for (let i = 0; i < 100; i++) {
        const w = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined)
        if (w) {
          await w.close()
          break
        }
        await new Promise((r) => setTimeout(r, 20))
      }
    }
  })
})

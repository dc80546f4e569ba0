/**
 * `raftkit serve` of a sharded node (runShardCli, in process): its `--log-level` is checked the
 * way a plain node's is (kv-service's logLevelFlag), before anything starts.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { runShardCli } from '../src/cli/index.js'

function io(): { out: string[]; err: string[]; io: Parameters<typeof runShardCli>[1] } {
  const out: string[] = []
  const err: string[] = []
  return {
    out,
    err,
    io: { out: (t) => out.push(t), err: (t) => err.push(t), interrupted: new Promise(() => {}) },
  }
}

describe('raftkit serve (sharded): options', function () {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftkit-shard-cli-'))
    const init = io()
    const code = await runShardCli(['init', '--groups', '2', '--nodes', '3', '--dir', dir], init.io)
    expect(code, init.err.join('')).to.equal(0)
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('an unknown --log-level: exit code 2, the levels named, nothing started', async () => {
    const r = io()
    const argv = [
      'serve',
      '--config',
      join(dir, 'cluster.json'),
      '--id',
      'n1',
      '--log-level',
      'loud',
    ]
    expect(await runShardCli(argv, r.io)).to.equal(2)
    expect(r.err.join('')).to.equal(
      'raftkit serve: invalid option "--log-level": expected one of trace, debug, info, warn, error, fatal, silent\n',
    )
    expect(r.out).to.deep.equal([])
  })
})

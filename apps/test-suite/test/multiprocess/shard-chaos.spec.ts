/**
 * `raftkit chaos --groups 3` end to end: the chaos monkey against a sharded cluster (a
 * controller and three replica groups on three `raftkit serve` processes) kills, partitions and
 * pauses nodes while it migrates shards (join, leave, move of replica groups through the
 * controller). A fixed seed and a short run: the check must pass (linearizable per key, no
 * acknowledged write lost or run twice, every shard settled after the repair) and at least one
 * migration must have changed the configuration.
 */
import { spawn } from 'node:child_process'
import { expect } from 'chai'
import { raftkitInvocation } from '@raftkit/kv-service/chaos'

describe('multi-process: raftkit chaos --groups 3 (migrations under faults)', function () {
  this.timeout(150_000)

  it('migrates shards while it kills, partitions and pauses nodes; the check passes', async () => {
    const cli = raftkitInvocation()
    const child = spawn(
      cli.command,
      [
        ...cli.args,
        'chaos',
        '--groups',
        '3',
        '--duration',
        '10s',
        '--seed',
        '2',
        '--clients',
        '3',
        '--keys',
        '10',
        '--migrate-rate',
        '3',
        '--gap',
        '300ms..1s',
        '--fault-time',
        '500ms..2s',
        '--log-level',
        'warn',
        '--check-timeout',
        '30s',
      ],
      { cwd: cli.cwd, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s))
    // Bounded: SIGTERM (the monkey repairs, checks and stops its nodes) after 120 s.
    const timer = setTimeout(() => child.kill('SIGTERM'), 120_000)
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    clearTimeout(timer)
    expect(out).to.include('chaos seed: 2')
    expect(code, out).to.equal(0)
    expect(out).to.include('verdict: LINEARIZABLE, no acknowledged write lost or run twice')
    expect(out).to.include('every shard settled on its group')
    const faults =
      /faults injected: (\d+) kill -9 \+ restart, (\d+) partitions, (\d+) pauses, (\d+) migrations \((\d+) configurations changed/.exec(
        out,
      )
    expect(faults, out).to.not.equal(null)
    const n = (i: number): number => Number(faults?.[i])
    expect(n(1) + n(2) + n(3), out).to.be.greaterThan(0)
    expect(n(5), `no migration changed the configuration\n${out}`).to.be.greaterThan(0)
    const ops = /operations: (\d+) by the workload — (\d+) ok/.exec(out)
    expect(Number(ops?.[2]), out).to.be.greaterThan(0)
    expect(out, 'a node exited on its own').to.not.include('unexpected node exits')
  })
})

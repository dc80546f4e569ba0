/**
 * `raftkit chaos --duration 15s` end to end, as a user runs it: the kv-service CLI starts the
 * suite's chaos monkey, which spawns the nodes, kills/partitions/pauses them under a concurrent
 * workload and checks the history. Plus the monkey's pure parts: flags, the seeded schedule,
 * the lost-write check.
 */
import { spawn } from 'node:child_process'
import { createRng } from '@raftkit/raft-core'
import { expect } from 'chai'
import type { FaultStep, KvHistory } from '@raftkit/kv-service/chaos'
import {
  ChaosUsageError,
  DEFAULT_CHAOS_OPTIONS,
  duplicatedWrites,
  faultSchedule,
  lostAcknowledgedWrites,
  parseChaosArgs,
  parseDuration,
  raftkitInvocation,
  runChaos,
  runRaftkit,
  splitGroups,
} from '@raftkit/kv-service/chaos'

function take(n: number, seed: number): FaultStep[] {
  const steps = faultSchedule(createRng(seed), 5, DEFAULT_CHAOS_OPTIONS)
  return Array.from({ length: n }, () => steps.next().value as FaultStep)
}

describe('chaos monkey: flags, schedule, lost-write check', () => {
  it('parses flags, with defaults and the seed it is given', () => {
    const c = parseChaosArgs(
      ['--duration', '15s', '--clients', '2', '--seed', '42', '--fault-time', '200ms..1s'],
      () => 7,
    )
    if (c.help) expect.fail('not help')
    expect(c.options.durationMs).to.equal(15_000)
    expect(c.options.clients).to.equal(2)
    expect(c.options.seed).to.equal(42)
    expect(c.options.faultMs).to.deep.equal([200, 1000])
    expect(c.options.nodes).to.equal(3)
    expect(c.options.tls).to.equal(false)
    const r = parseChaosArgs([], () => 7)
    expect(!r.help && r.options.seed).to.equal(7)
    const t = parseChaosArgs(['--tls', '--nodes', '5'], () => 7)
    expect(!t.help && t.options.tls).to.equal(true)
    expect(!r.help && r.options.protocol).to.equal(undefined)
    const w = parseChaosArgs(['--protocol', 'ws'], () => 7)
    expect(!w.help && w.options.protocol).to.equal('ws')
    // The checker's budget: 60 s, or a quarter of a longer run unless given.
    expect(!r.help && r.options.checkTimeoutMs).to.equal(60_000)
    const long = parseChaosArgs(['--duration', '10m'], () => 7)
    expect(!long.help && long.options.checkTimeoutMs).to.equal(150_000)
    const given = parseChaosArgs(['--duration', '10m', '--check-timeout', '20s'], () => 7)
    expect(!given.help && given.options.checkTimeoutMs).to.equal(20_000)
    expect(parseDuration('duration', '2m')).to.equal(120_000)
    expect(parseDuration('duration', '90')).to.equal(90_000)
  })

  it('refuses bad flags with a clear error', () => {
    const bad: [string[], RegExp][] = [
      [['--duration', '10x'], /--duration expects a positive duration/],
      [['--clients', '0'], /--clients expects an integer in 1\.\.64/],
      [['--leader-bias', '2'], /--leader-bias expects a number in 0\.\.1/],
      [['--gap', '3s..1s'], /ends before it starts/],
      [['--config', 'x.json', '--nodes', '3'], /not both/],
      [['--bogus'], /Unknown option '--bogus'/],
      [['--log-level', 'loud'], /--log-level expects one of/],
      [['--config', 'x.json', '--tls'], /--tls makes a new cluster/],
      [['--config', 'x.json', '--groups', '3'], /--groups makes a new cluster/],
      [['--groups', '0'], /--groups expects an integer in 1\.\.16/],
      [['--migrate-rate', 'x'], /--migrate-rate expects a number in 0\.\.1000/],
      [['--protocol', 'h2'], /--protocol expects http or ws/],
    ]
    for (const [argv, message] of bad)
      expect(() => parseChaosArgs(argv, () => 1), argv.join(' '))
        .to.throw(ChaosUsageError)
        .with.property('message')
        .that.matches(message)
  })

  it('parses --groups and --migrate-rate; no --migrate-rate leaves the default to the cluster', () => {
    const c = parseChaosArgs(['--groups', '3', '--migrate-rate', '2.5'], () => 7)
    expect(!c.help && c.options.groups).to.equal(3)
    expect(!c.help && c.options.rates.migrate).to.equal(2.5)
    const t = parseChaosArgs(['--groups', '3', '--tls'], () => 7)
    expect(!t.help && t.options.groups).to.equal(3)
    expect(!t.help && t.options.tls).to.equal(true)
    const d = parseChaosArgs([], () => 7)
    expect(!d.help && d.options.groups).to.equal(undefined)
    expect(!d.help && d.options.rates.migrate).to.equal(undefined)
  })

  it('refuses migrations on a single group and transfers/membership changes and --protocol ws on a sharded one, starting nothing', async () => {
    const io = { out: () => undefined }
    const d = DEFAULT_CHAOS_OPTIONS
    const single = { ...d, rates: { ...d.rates, migrate: 1 } }
    await runChaos(single, io).then(
      () => expect.fail('ran'),
      (e: Error) => expect(e.message).to.match(/--migrate-rate needs a sharded cluster/),
    )
    const sharded = { ...d, groups: 2, rates: { ...d.rates, member: 1 } }
    await runChaos(sharded, io).then(
      () => expect.fail('ran'),
      (e: Error) => expect(e.message, e.message).to.match(/not supported on sharded clusters/),
    )
    await runChaos({ ...d, groups: 2, protocol: 'ws' }, io).then(
      () => expect.fail('ran'),
      (e: Error) => expect(e.message, e.message).to.match(/--protocol ws is not supported/),
    )
  })

  it('draws migrations only when their rate is above 0, and the same kinds as before otherwise', () => {
    const withMigrations = faultSchedule(createRng(5), 3, {
      ...DEFAULT_CHAOS_OPTIONS,
      rates: { ...DEFAULT_CHAOS_OPTIONS.rates, migrate: 1 },
    })
    const kinds = new Set(Array.from({ length: 50 }, () => withMigrations.next().value!.kind))
    expect([...kinds].sort()).to.deep.equal(['kill', 'migrate', 'partition', 'pause'])
    const zero = faultSchedule(createRng(5), 5, {
      ...DEFAULT_CHAOS_OPTIONS,
      rates: { ...DEFAULT_CHAOS_OPTIONS.rates, migrate: 0 },
    })
    expect(Array.from({ length: 20 }, () => zero.next().value)).to.deep.equal(take(20, 5))
  })

  it('finds a written value that a final value holds twice (a write run twice), and only those', () => {
    expect(
      duplicatedWrites(
        new Map([
          ['a', '<c1.1><c2.1><c1.2>'],
          ['b', ''],
        ]),
      ),
    ).to.deep.equal([])
    expect(
      duplicatedWrites(
        new Map([
          ['a', '<c1.1><c2.1><c1.1>'],
          ['b', '<c3.4>'],
        ]),
      ),
    ).to.deep.equal([{ key: 'a', value: '<c1.1>', times: 2 }])
  })

  it('draws the same fault schedule from the same seed, another from another seed', () => {
    expect(take(20, 5)).to.deep.equal(take(20, 5))
    expect(take(20, 5)).to.not.deep.equal(take(20, 6))
    const kinds = new Set(take(50, 5).map((s) => s.kind))
    expect([...kinds].sort()).to.deep.equal(['kill', 'partition', 'pause'])
  })

  it('puts the leader in a minority that leaves a majority', () => {
    const ids = ['n1', 'n2', 'n3', 'n4', 'n5']
    for (const step of take(50, 9)) {
      const { minority, majority } = splitGroups(ids, step, 'n4')
      expect(minority).to.include('n4')
      expect(minority.length).to.be.within(1, 2)
      expect([...minority, ...majority].sort()).to.deep.equal(ids)
    }
  })

  it('finds acknowledged writes missing from the final values, and only those', () => {
    const op = (
      clientId: string,
      input: KvHistory[number]['input'],
      call: number,
      ret: number,
    ): KvHistory[number] => ({ clientId, input, output: {}, call, return: ret })
    const history: KvHistory = [
      op('c1', { op: 'put', key: 'a', value: '<1>' }, 0, 10),
      op('c1', { op: 'append', key: 'a', value: '<2>' }, 20, 30),
      op('c2', { op: 'append', key: 'b', value: '<3>' }, 0, 10),
      op('c2', { op: 'put', key: 'b', value: '<4>' }, 5, Infinity), // may come after <3>
    ]
    expect(
      lostAcknowledgedWrites(
        history,
        new Map([
          ['a', '<1><2>'],
          ['b', '<4>'],
        ]),
      ),
    ).to.deep.equal([])
    expect(
      lostAcknowledgedWrites(
        history,
        new Map([
          ['a', '<1>'],
          ['b', ''],
        ]),
      ),
    ).to.deep.equal([{ key: 'a', op: 'append', value: '<2>', finalValue: '<1>' }])
    expect(lostAcknowledgedWrites(history, new Map([['a', '<2>']]))).to.have.length(1)
  })
})

describe('multi-process: raftkit chaos --duration 15s', function () {
  this.timeout(150_000)

  it('refuses a bad flag with a clear error and exit code 2, starting nothing', async () => {
    const r = await runRaftkit(['chaos', '--duration', '2x'])
    expect(r.code).to.equal(2)
    expect(r.stderr).to.include('--duration expects a positive duration such as 500ms, 15s or 2m')
    expect(r.stdout).to.equal('')
  })

  it('kills, partitions and pauses nodes under load; the history is linearizable', async () => {
    const cli = raftkitInvocation()
    const child = spawn(
      cli.command,
      [
        ...cli.args,
        'chaos',
        '--duration',
        '15s',
        '--seed',
        '42',
        '--clients',
        '3',
        '--keys',
        '3',
        '--gap',
        '300ms..1s',
        '--fault-time',
        '1s..2500ms',
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
    expect(out).to.include('chaos seed: 42')
    expect(code, out).to.equal(0)
    expect(out).to.include('verdict: LINEARIZABLE, no acknowledged write lost')
    const faults = /faults injected: (\d+) kill -9 \+ restart, (\d+) partitions, (\d+) pauses/.exec(
      out,
    )
    expect(faults, out).to.not.equal(null)
    const total = faults!.slice(1).reduce((s, n) => s + Number(n), 0)
    expect(total, out).to.be.greaterThan(2)
    const ops = /operations: (\d+) by the workload — (\d+) ok/.exec(out)
    expect(Number(ops?.[2]), out).to.be.greaterThan(0)
    expect(out).to.match(/failovers observed: \d+/)
    expect(out, 'a node exited on its own').to.not.include('unexpected node exits')
  })
})

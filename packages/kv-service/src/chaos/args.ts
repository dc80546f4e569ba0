/** Command-line parsing for `raftkit chaos` (node:util parseArgs). */
import { parseArgs } from 'node:util'
import type { ChaosOptions } from './driver.js'
import { DEFAULT_CHAOS_OPTIONS } from './driver.js'

export const CHAOS_USAGE = `Usage: raftkit chaos [options]

Starts the nodes of a raftkit cluster as real processes, runs concurrent clients against them
and injects faults from a seeded schedule: kill -9 and restart (the leader too), network
partitions through the nodes' fault controls, SIGSTOP/SIGCONT pauses. At the end it heals the
cluster, reads every key, checks the recorded history for linearizability and the acknowledged
writes for durability, and prints operations, failovers, faults and the verdict.

Cluster (one of):
  --config <file>        an existing cluster.json (its nodes must not be running)
  --nodes <n>            a new cluster of n nodes made with \`raftkit init\` (default 3), in
  --dir <folder>           this folder (default: a temporary one, removed after a passing run)
  --tls                  with --nodes or --groups: a TLS cluster (\`raftkit init --tls\`, needs openssl)
Run:
  --duration <t>         how long faults are injected (default 60s); t: 500ms, 15s, 2m, or seconds
  --clients <n>          concurrent clients (default 4)
  --keys <n>             size of the key set (default 4)
  --seed <s>             seed of the fault schedule and the workload (default: random; printed)
  --protocol <p>         how the clients reach the nodes: http (default) or ws (the WebSocket
                         RPC, one connection per node shared by the clients; not with --groups)
Faults:
  --kill-rate <w>        relative weight of kill -9 + restart (default 1)
  --partition-rate <w>   relative weight of partitions (default 1)
  --pause-rate <w>       relative weight of SIGSTOP/SIGCONT pauses (default 1); all 0: no faults
  --transfer-rate <w>    relative weight of leadership transfers (default 0)
  --member-rate <w>      relative weight of membership changes: remove a voter, add it back as
                         a learner and promote it (default 0)
  --migrate-rate <w>     sharded clusters: relative weight of migrations — join, leave or move
                         replica groups through the controller (default 1; else refused)
  --leader-bias <p>      probability that a fault aims at the leader (default 0.5)
  --fault-time <a..b>    how long each fault lasts (default 1s..4s)
  --gap <a..b>           quiet time before each fault (default 500ms..2s)
Checks and output:
  --op-timeout <t>       deadline of one client operation; then its outcome is unknown (default 5s)
  --check-timeout <t>    time budget of the linearizability check (default a quarter of
                         --duration, at least 60s: the check grows with the history)
  --report <file>        HTML report on failure (default <folder>/chaos-report.html)
  --log-level <level>    the nodes' log level (default info; logs in <folder>/logs)
  --keep                 keep a temporary folder even after a passing run
  --quiet                no line per fault
  -h, --help             show this help

Exit codes: 0 linearizable and no acknowledged write lost, 1 not linearizable or a write lost,
2 bad usage, 3 inconclusive (the check ran out of its budget), 130 interrupted.`

/**
 * The checker's budget when --check-timeout is not given: a quarter of the run, at least the
 * default. The history grows with the run (about 650 operations a second with 8 clients on this
 * project's 2-core machine), and so does the check (about 30 s for a 10-minute run's, TESTING.md),
 * so a fixed 60 s left long runs inconclusive.
 */
function defaultCheckTimeout(durationMs: number, atLeastMs: number): number {
  return Math.max(atLeastMs, Math.round(durationMs / 4))
}

/** A command line that cannot run; the message says what is wrong. */
export class ChaosUsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ChaosUsageError'
  }
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, '': 1000 }

/** "500ms", "15s", "2m", "1.5s" or a plain number of seconds, in ms. */
export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim())
  const ms = m ? Number(m[1]) * (UNITS[m[2] ?? ''] ?? 1000) : NaN
  if (!Number.isFinite(ms) || ms <= 0 || ms > 7 * 24 * 3600_000)
    throw new ChaosUsageError(
      `--${flag} expects a positive duration such as 500ms, 15s or 2m, got ${JSON.stringify(text)}`,
    )
  return Math.round(ms)
}

function parseRange(flag: string, text: string): [number, number] {
  const parts = text.split('..')
  if (parts.length !== 2)
    throw new ChaosUsageError(
      `--${flag} expects a range such as 1s..4s, got ${JSON.stringify(text)}`,
    )
  const a = parseDuration(flag, parts[0] ?? '')
  const b = parseDuration(flag, parts[1] ?? '')
  if (b < a) throw new ChaosUsageError(`--${flag}: the range ${text} ends before it starts`)
  return [a, b]
}

function parseInteger(flag: string, text: string, min: number, max: number): number {
  const n = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new ChaosUsageError(
      `--${flag} expects an integer in ${min}..${max}, got ${JSON.stringify(text)}`,
    )
  return n
}

function parseNumber(flag: string, text: string, min: number, max: number): number {
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max)
    throw new ChaosUsageError(
      `--${flag} expects a number in ${min}..${max}, got ${JSON.stringify(text)}`,
    )
  return n
}

export type ChaosCommand = { help: true } | { help: false; options: ChaosOptions }

/** Parses the command line; throws ChaosUsageError on anything wrong. `randomSeed` when no --seed. */
export function parseChaosArgs(argv: readonly string[], randomSeed: () => number): ChaosCommand {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        nodes: { type: 'string' },
        groups: { type: 'string' },
        dir: { type: 'string' },
        duration: { type: 'string' },
        clients: { type: 'string' },
        keys: { type: 'string' },
        seed: { type: 'string' },
        protocol: { type: 'string' },
        'kill-rate': { type: 'string' },
        'partition-rate': { type: 'string' },
        'pause-rate': { type: 'string' },
        'transfer-rate': { type: 'string' },
        'member-rate': { type: 'string' },
        'migrate-rate': { type: 'string' },
        'leader-bias': { type: 'string' },
        'fault-time': { type: 'string' },
        gap: { type: 'string' },
        'op-timeout': { type: 'string' },
        'check-timeout': { type: 'string' },
        report: { type: 'string' },
        'log-level': { type: 'string' },
        keep: { type: 'boolean' },
        tls: { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (e) {
    throw new ChaosUsageError((e as Error).message)
  }
  const v = parsed.values
  if (v.help) return { help: true }
  if (v.config !== undefined && v.nodes !== undefined)
    throw new ChaosUsageError(
      'give --config (an existing cluster) or --nodes (a new one), not both',
    )
  if (v.config !== undefined && v.tls)
    throw new ChaosUsageError('--tls makes a new cluster; with --config the cluster file decides')
  if (v.config !== undefined && v.groups !== undefined)
    throw new ChaosUsageError(
      '--groups makes a new cluster; with --config the cluster file decides',
    )
  if (v.protocol !== undefined && v.protocol !== 'http' && v.protocol !== 'ws')
    throw new ChaosUsageError('--protocol expects http or ws')
  const d = DEFAULT_CHAOS_OPTIONS
  const rate = (flag: string, text: string | undefined, fallback: number): number =>
    text === undefined ? fallback : parseNumber(flag, text, 0, 1000)
  const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']
  if (v['log-level'] !== undefined && !levels.includes(v['log-level']))
    throw new ChaosUsageError(`--log-level expects one of ${levels.join(', ')}`)
  for (const [flag, text] of [
    ['config', v.config],
    ['dir', v.dir],
    ['report', v.report],
  ] as const)
    if (text !== undefined && text.length === 0) throw new ChaosUsageError(`--${flag} is empty`)
  const durationMs = v.duration === undefined ? d.durationMs : parseDuration('duration', v.duration)
  const options: ChaosOptions = {
    ...(v.config !== undefined ? { configFile: v.config } : {}),
    ...(v.dir !== undefined ? { dir: v.dir } : {}),
    ...(v.report !== undefined ? { reportPath: v.report } : {}),
    nodes: v.nodes === undefined ? d.nodes : parseInteger('nodes', v.nodes, 1, 15),
    ...(v.groups !== undefined ? { groups: parseInteger('groups', v.groups, 1, 16) } : {}),
    keep: v.keep ?? false,
    tls: v.tls ?? false,
    ...(v.protocol !== undefined ? { protocol: v.protocol } : {}),
    quiet: v.quiet ?? false,
    durationMs,
    clients: v.clients === undefined ? d.clients : parseInteger('clients', v.clients, 1, 64),
    keys: v.keys === undefined ? d.keys : parseInteger('keys', v.keys, 1, 1000),
    seed: v.seed === undefined ? randomSeed() : parseInteger('seed', v.seed, 0, 0x7fffffff),
    rates: {
      kill: rate('kill-rate', v['kill-rate'], d.rates.kill),
      partition: rate('partition-rate', v['partition-rate'], d.rates.partition),
      pause: rate('pause-rate', v['pause-rate'], d.rates.pause),
      transfer: rate('transfer-rate', v['transfer-rate'], d.rates.transfer ?? 0),
      member: rate('member-rate', v['member-rate'], d.rates.member ?? 0),
      ...(v['migrate-rate'] !== undefined
        ? { migrate: rate('migrate-rate', v['migrate-rate'], 0) }
        : {}),
    },
    leaderBias:
      v['leader-bias'] === undefined
        ? d.leaderBias
        : parseNumber('leader-bias', v['leader-bias'], 0, 1),
    faultMs: v['fault-time'] === undefined ? d.faultMs : parseRange('fault-time', v['fault-time']),
    gapMs: v.gap === undefined ? d.gapMs : parseRange('gap', v.gap),
    opTimeoutMs:
      v['op-timeout'] === undefined ? d.opTimeoutMs : parseDuration('op-timeout', v['op-timeout']),
    checkTimeoutMs:
      v['check-timeout'] === undefined
        ? defaultCheckTimeout(durationMs, d.checkTimeoutMs)
        : parseDuration('check-timeout', v['check-timeout']),
    logLevel: v['log-level'] ?? d.logLevel,
  }
  return { help: false, options }
}

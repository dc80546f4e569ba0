/** Command-line parsing for raftkit-conformance (node:util parseArgs). */
import { parseArgs } from 'node:util'
import { resolveRaftConfig } from '@raftkit/raft-core'
import type { RaftConfig } from '@raftkit/raft-core'
import type { ClockKind } from '../raft/runner.js'
import type { FileStorageHarnessOptions } from '../raft/fs-storage-harness.js'

/** The FileStorage options --storage-options may set (the harness picks each node's dir). */
export type StorageOptions = Omit<FileStorageHarnessOptions, 'baseDir'>

const STORAGE_OPTION_KEYS = [
  'inlineSync',
  'sync',
  'segmentBytes',
  'preallocateBytes',
] as const satisfies readonly (keyof StorageOptions)[]

export const USAGE = `Usage: raftkit-conformance [options]

Runs the Raft lab scenarios (2A-2D), the membership scenarios (M: membership changes,
learners, leadership transfer) and, when @raftkit/kv-service is installed, the key/value
scenarios (3A, 3B) over many seeds and reports the failing ones.

Options:
  --grep <regexp>       only scenarios whose name or description matches (e.g. 2B, Figure8,
                        'Membership|Learner|LeadershipTransfer')
  --seeds <n>           run every selected scenario with n seeds (default 10)
  --first-seed <s>      the first of those seeds (default 1): seeds s..s+n-1
  --jobs <n>            with --seeds: run the seeds on n worker processes (default 1); the
                        output is the same, in the same order
  --seed <s>            replay one seed; prints a SHA-256 hash of the event trace
  --clock <sim|real>    simulated time (default, replayable) or the system clock
  --storage <memory|fs> storage adapter (default memory). fs: storage-fs FileStorage in a
                        temporary directory per node, fsync'ed. Under --clock sim its file I/O
                        takes no simulated time and results reach the nodes in issue order, so
                        a seed usually replays the same, but fs runs are NOT guaranteed to be
                        bit-for-bit replayable like memory runs (the files and the disk are real)
  --storage-options <json>
                        with --storage fs: FileStorage options for every node, e.g.
                        '{"inlineSync":"never"}'; keys: ${STORAGE_OPTION_KEYS.join(', ')}
  --transport <memory|ws> transport adapter (default memory). ws: transport-ws, real
                        WebSocket connections on loopback; needs --clock real
  --disk-model <on|off> simulated disks (default on under --clock sim): every write and
                        compaction takes simulated time drawn from the seed (per-node data and
                        fsync latency, slow outliers, sometimes one persistently slow disk) and
                        a crash cuts power mid-write. off: storage completes at once, as before
  --raft <json>         Raft settings for every node, e.g. '{"pipelineLeaderAppends":true}'
  --trace               with --seed: print every trace event
  --verbose             print the lab's begin/"Passed" lines
  -h, --help            show this help`

export interface CliOptions {
  readonly grep: string | undefined
  readonly seeds: number
  readonly firstSeed: number
  /** Worker processes for --seeds (1: this process alone). */
  readonly jobs: number
  readonly raftConfig: Partial<RaftConfig> | undefined
  readonly seed: number | undefined
  readonly clock: ClockKind
  readonly storage: 'memory' | 'fs'
  /** --storage-options: keys checked here; values by FileStorage itself (adapters.ts). */
  readonly storageOptions: StorageOptions | undefined
  readonly transport: 'memory' | 'ws'
  readonly diskModel: boolean
  readonly trace: boolean
  readonly verbose: boolean
  readonly help: boolean
}

/** A command line the CLI cannot run; the message says what is wrong. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

function integer(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min)
    throw new UsageError(`--${flag} must be an integer >= ${min}, got "${value}"`)
  return n
}

function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got "${value}"`)
  return value as T
}

export function parseCli(argv: readonly string[]): CliOptions {
  let values
  try {
    ;({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        grep: { type: 'string' },
        seeds: { type: 'string' },
        'first-seed': { type: 'string' },
        jobs: { type: 'string' },
        raft: { type: 'string' },
        seed: { type: 'string' },
        clock: { type: 'string' },
        storage: { type: 'string' },
        'storage-options': { type: 'string' },
        transport: { type: 'string' },
        'disk-model': { type: 'string' },
        trace: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }))
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
  if (values.grep !== undefined) {
    try {
      new RegExp(values.grep)
    } catch {
      throw new UsageError(`--grep is not a valid regular expression: "${values.grep}"`)
    }
  }
  const seed = integer('seed', values.seed, -0x80000000)
  const seeds = integer('seeds', values.seeds, 1) ?? 10
  if (values.trace && seed === undefined)
    throw new UsageError('--trace needs --seed (it prints one run)')
  const firstSeed = integer('first-seed', values['first-seed'], -0x80000000) ?? 1
  const jobs = integer('jobs', values.jobs, 1) ?? 1
  if (jobs > 1 && seed !== undefined)
    throw new UsageError('--jobs runs the seeds of --seeds; --seed replays one in this process')
  const raftConfig = values.raft === undefined ? undefined : parseRaftConfig(values.raft)
  const storage = oneOf('storage', values.storage, ['memory', 'fs'], 'memory')
  const storageOptions =
    values['storage-options'] === undefined
      ? undefined
      : parseStorageOptions(values['storage-options'])
  if (storageOptions !== undefined && storage !== 'fs')
    throw new UsageError(
      '--storage-options sets FileStorage options; it needs --storage fs (memory storage has none)',
    )
  const transport = oneOf('transport', values.transport, ['memory', 'ws'], 'memory')
  if (transport === 'ws' && values.clock !== 'real')
    throw new UsageError(
      '--transport ws needs --clock real (real sockets do not run on simulated time)',
    )
  const clock = oneOf('clock', values.clock, ['sim', 'real'], 'sim')
  const diskModel = oneOf(
    'disk-model',
    values['disk-model'],
    ['on', 'off'],
    clock === 'sim' ? 'on' : 'off',
  )
  if (diskModel === 'on' && clock !== 'sim')
    throw new UsageError('--disk-model on needs --clock sim (it simulates storage time)')
  return {
    grep: values.grep,
    seeds,
    firstSeed,
    jobs,
    raftConfig,
    seed,
    clock,
    diskModel: diskModel === 'on',
    storage,
    storageOptions,
    transport,
    trace: values.trace,
    verbose: values.verbose,
    help: values.help,
  }
}

/** A JSON object, or a UsageError naming the flag. */
function jsonObject(flag: string, text: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new UsageError(`--${flag} must be a JSON object, got "${text}"`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError(`--${flag} must be a JSON object, got "${text}"`)
  return value as Record<string, unknown>
}

/**
 * --storage-options: a JSON object of the FileStorage options in STORAGE_OPTION_KEYS. Only the
 * keys are checked here (storage-fs is an optional peer); loadStorage() has FileStorage check
 * the values before any run.
 */
function parseStorageOptions(text: string): StorageOptions {
  const value = jsonObject('storage-options', text)
  for (const key of Object.keys(value)) {
    if (!(STORAGE_OPTION_KEYS as readonly string[]).includes(key))
      throw new UsageError(
        `--storage-options: unknown key "${key}" (accepted: ${STORAGE_OPTION_KEYS.join(', ')})`,
      )
    // FileStorage would take null for its default; the replay line would then repeat a no-op.
    if (value[key] === null)
      throw new UsageError(`--storage-options: "${key}" is null (leave it out for the default)`)
  }
  // The values' types are FileStorage's to check (loadStorage), before any run.
  return value
}

/** --raft: a JSON object of RaftConfig settings, checked by raft-core (errors name the field). */
function parseRaftConfig(text: string): Partial<RaftConfig> {
  const value = jsonObject('raft', text)
  try {
    resolveRaftConfig(value)
  } catch (e) {
    throw new UsageError(`--raft: ${(e as Error).message}`)
  }
  return value
}

/**
 * The flags that change a run, for the replay command printed with a failure: without
 * `--clock real --transport ws` a real-clock failure's replay would run on simulated time
 * over the in-memory transport, another run altogether.
 */
export function replayFlags(o: CliOptions): string {
  return [
    o.clock !== 'sim' ? `--clock ${o.clock}` : '',
    o.transport !== 'memory' ? `--transport ${o.transport}` : '',
    o.raftConfig ? `--raft '${JSON.stringify(o.raftConfig)}'` : '',
    o.storage !== 'memory' ? `--storage ${o.storage}` : '',
    o.storageOptions ? `--storage-options '${JSON.stringify(o.storageOptions)}'` : '',
  ]
    .filter((f) => f !== '')
    .join(' ')
}

/**
 * Raft (2A–2D) and key/value (3A/3B) scenarios behind one interface, for the
 * raftkit-conformance runner: select both by --grep, run either with the same options. The
 * key/value scenarios run KvServers, so they are loaded only when the optional peer
 * @raftkit/kv-service is installed; without it the runner offers the Raft scenarios alone.
 */
import { describeFailure, runScenario } from '../raft/runner.js'
import type { RunOptions, RunResult } from '../raft/runner.js'
import type { Scenario } from '../raft/scenario.js'
import { selectScenarios } from '../raft/scenarios/index.js'
import type { KvScenario } from '../kv/scenario.js'
import type { ShardScenario } from '../shard/scenario.js'

export type AnyScenario = Scenario | KvScenario | ShardScenario

export { describeFailure }

export interface ScenarioSet {
  /** The Raft scenarios, then the key/value ones, whose name or description matches. */
  readonly selected: readonly AnyScenario[]
  /** Runs a scenario of either kind (kv scenarios ignore createNode and invariantIntervalMs). */
  run(s: AnyScenario, options: RunOptions): Promise<RunResult>
  /** Why the key/value scenarios are missing (kv-service not installed), if they are. */
  readonly kvMissing?: string
  /** Why the shard scenarios (4A/4B) are missing (shardkv or multiraft not installed), if they are. */
  readonly shardMissing?: string
}

function isKvScenario(s: AnyScenario): s is KvScenario {
  return s.part === '3A' || s.part === '3B'
}

function isShardScenario(s: AnyScenario): s is ShardScenario {
  return s.part === '4A' || s.part === '4B'
}

/** The shard scenarios when @raftkit/shardkv and @raftkit/multiraft are installed. */
async function loadShard(
  grep: string | undefined,
): Promise<
  | { selected: ShardScenario[]; run: (s: ShardScenario, o: RunOptions) => Promise<RunResult> }
  | { missing: string }
> {
  try {
    const shard = await import('./shard-scenarios.js')
    return { selected: shard.selectShardScenarios(grep), run: shard.runShardScenario }
  } catch (e) {
    if (!isModuleNotFound(e)) throw e
    return {
      missing:
        'the shard scenarios (4A/4B) need @raftkit/shardkv and @raftkit/multiraft: npm install -D @raftkit/shardkv @raftkit/multiraft',
    }
  }
}

function isModuleNotFound(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
}

export async function loadScenarios(grep: string | undefined): Promise<ScenarioSet> {
  const raft: AnyScenario[] = selectScenarios(grep)
  let kv
  try {
    kv = await import('./kv-scenarios.js')
  } catch (e) {
    if (!isModuleNotFound(e)) throw e
    return {
      selected: raft,
      run: (s, options) => runScenario(s as Scenario, options),
      kvMissing:
        'the key/value scenarios (3A/3B) need @raftkit/kv-service: npm install -D @raftkit/kv-service',
    }
  }
  const { runKvScenario, selectKvScenarios } = kv
  const shard = await loadShard(grep)
  const shardSelected = 'selected' in shard ? shard.selected : []
  return {
    selected: [...raft, ...selectKvScenarios(grep), ...shardSelected],
    run: (s, options) => {
      if (isShardScenario(s)) {
        if (!('run' in shard)) throw new Error(shard.missing)
        return shard.run(s, options)
      }
      return isKvScenario(s) ? runKvScenario(s, options) : runScenario(s, options)
    },
    ...('missing' in shard ? { shardMissing: shard.missing } : {}),
  }
}

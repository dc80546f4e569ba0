/**
 * `shardScenarios(options)`: registers the shard lab scenarios (4A, 4B) as mocha tests over the
 * caller's Raft network and storage. Call it at spec-file load; nothing runs until mocha does.
 */
import type { Logger, RaftConfig } from '@raftkit/raft-core'
import type { NetworkFactory } from '../raft/harness.js'
import { defaultDiskModel, defaultSeed } from '../raft/register.js'
import type { ClockKind } from '../raft/runner.js'
import type { StorageFactory } from '../raft/storage-harness.js'
import { describeShardFailure, runShardScenario } from './runner.js'
import type { ShardPart } from './scenario.js'
import { selectShardScenarios } from './scenarios/index.js'

export interface ShardScenariosOptions {
  readonly name: string
  readonly createNetwork: NetworkFactory
  readonly createStorage?: StorageFactory
  readonly clock: ClockKind
  /** @default Number(process.env.RAFTKIT_SEED) or 1 */
  readonly seed?: number
  /** Seeds to run each scenario with (overrides `seed`). */
  readonly seeds?: readonly number[]
  readonly grep?: string | RegExp
  readonly raftConfig?: Partial<RaftConfig>
  readonly logger?: Logger
  readonly quiet?: boolean
  /** Simulated disks under the 'sim' clock. @default on, unless RAFTKIT_DISK_MODEL=off */
  readonly diskModel?: boolean
}

export function shardScenarios(options: ShardScenariosOptions): void {
  if (typeof options?.createNetwork !== 'function')
    throw new TypeError('shardScenarios: "createNetwork(ids, { seed, clock })" is required')
  if (options.clock !== 'sim' && options.clock !== 'real')
    throw new TypeError(
      `shardScenarios: "clock" must be 'sim' or 'real', got ${String(options.clock)}`,
    )
  const seeds = options.seeds ?? [options.seed ?? defaultSeed()]
  const diskModel = options.diskModel ?? defaultDiskModel()
  const selected = selectShardScenarios(options.grep)
  describe(`Shard scenarios: ${options.name} (${options.clock} clock, seeds ${seeds.join(',')})`, function () {
    for (const part of ['4A', '4B'] as ShardPart[]) {
      const inPart = selected.filter((s) => s.part === part)
      if (inPart.length === 0) continue
      describe(part, function () {
        for (const s of inPart)
          for (const seed of seeds)
            it(`${s.name} (seed ${seed}): ${s.description}`, async function () {
              this.timeout(180_000)
              try {
                await runShardScenario(s, {
                  seed,
                  clock: options.clock,
                  createNetwork: options.createNetwork,
                  diskModel,
                  ...(options.createStorage ? { createStorage: options.createStorage } : {}),
                  ...(options.raftConfig ? { raftConfig: options.raftConfig } : {}),
                  ...(options.logger ? { logger: options.logger } : {}),
                  ...(options.quiet ? {} : { log: (line: string) => console.log(line) }),
                })
              } catch (e) {
                throw new Error(describeShardFailure(s, seed, options.clock, e), { cause: e })
              }
            })
      })
    }
  })
}

/**
 * `kvScenarios(options)`: registers every key/value lab scenario (3A, 3B) as a mocha test,
 * over the caller's Raft network and storage (clerk traffic uses MemoryKvRpc). Call it at
 * spec-file load; nothing runs until mocha does.
 */
import type { Logger, RaftConfig } from '@raftkit/raft-core'
import type { NetworkFactory } from '../raft/harness.js'
import { defaultDiskModel, defaultSeed } from '../raft/register.js'
import { diskModelOn } from '../raft/runner.js'
import type { ClockKind } from '../raft/runner.js'
import type { StorageFactory } from '../raft/storage-harness.js'
import { describeKvFailure, runKvScenario } from './runner.js'
import type { KvPart, KvScenario } from './scenario.js'
import { selectKvScenarios } from './scenarios/index.js'

export interface KvScenariosOptions {
  /** Names the adapter pair in the describe() title. */
  readonly name: string
  /** Builds the Raft network for a cluster of `ids`; it must honour the fault controls. */
  readonly createNetwork: NetworkFactory
  /** Builds one server's storage harness. @default raft-core's MemoryStorage */
  readonly createStorage?: StorageFactory
  /** 'sim': SimulatedClock (fast, replayable from the seed); 'real': the system clock. */
  readonly clock: ClockKind
  /** @default Number(process.env.RAFTKIT_SEED) or 1 */
  readonly seed?: number
  /** Only the scenarios whose name or description matches. */
  readonly grep?: string | RegExp
  readonly raftConfig?: Partial<RaftConfig>
  readonly logger?: Logger
  /** Do not print the lab's begin/"Passed" lines. */
  readonly quiet?: boolean
  /**
   * Simulated disks under the 'sim' clock (writes take simulated time, crashes cut power
   * mid-write). @default on, unless RAFTKIT_DISK_MODEL=off
   */
  readonly diskModel?: boolean
}

function validate(options: KvScenariosOptions): void {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('kvScenarios(options): options are required')
  if (typeof options.name !== 'string' || options.name === '')
    throw new TypeError(
      'kvScenarios: "name" must be a non-empty string (it titles the describe block)',
    )
  if (typeof options.createNetwork !== 'function')
    throw new TypeError(
      'kvScenarios: "createNetwork(ids, { seed, clock })" is required and must return a Network',
    )
  if (options.createStorage !== undefined && typeof options.createStorage !== 'function')
    throw new TypeError('kvScenarios: "createStorage(id)" must return a StorageHarness')
  if (options.clock !== 'sim' && options.clock !== 'real')
    throw new TypeError(
      `kvScenarios: "clock" must be 'sim' or 'real', got ${String(options.clock)}`,
    )
  if (options.seed !== undefined && !Number.isSafeInteger(options.seed))
    throw new TypeError(`kvScenarios: "seed" must be an integer, got ${String(options.seed)}`)
}

/** Registers the scenarios with mocha's describe/it (grouped by part: 3A, 3B). */
export function kvScenarios(options: KvScenariosOptions): void {
  validate(options)
  const seed = options.seed ?? defaultSeed()
  const diskModel = diskModelOn({
    clock: options.clock,
    diskModel: options.diskModel ?? defaultDiskModel(),
  })
  const selected = selectKvScenarios(options.grep)
  const parts: KvPart[] = ['3A', '3B']
  const disk = options.clock === 'sim' ? `, disk model ${diskModel ? 'on' : 'off'}` : ''
  describe(`KV scenarios: ${options.name} (${options.clock} clock, seed ${seed}${disk})`, function () {
    for (const part of parts) {
      const inPart = selected.filter((s) => s.part === part)
      if (inPart.length === 0) continue
      describe(part, function () {
        for (const s of inPart) register(s, { ...options, diskModel }, seed)
      })
    }
  })
}

function register(s: KvScenario, options: KvScenariosOptions, seed: number): void {
  it(`${s.name}: ${s.description}`, async function () {
    // Wall-clock allowance: the lab's 120 s budget plus cleanup (a simulated run is far faster).
    this.timeout(180_000)
    try {
      await runKvScenario(s, {
        seed,
        clock: options.clock,
        createNetwork: options.createNetwork,
        diskModel: options.diskModel === true,
        ...(options.createStorage ? { createStorage: options.createStorage } : {}),
        ...(options.raftConfig ? { raftConfig: options.raftConfig } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
        ...(options.quiet ? {} : { log: (line: string) => console.log(line) }),
      })
    } catch (e) {
      throw new Error(describeKvFailure(s, seed, options.clock, e, options.diskModel === true), {
        cause: e,
      })
    }
  })
}

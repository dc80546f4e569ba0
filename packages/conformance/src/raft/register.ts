/**
 * `raftScenarios(options)`: registers every Raft lab scenario as a mocha test, over the
 * caller's network and storage. Call it at spec-file load; nothing runs until mocha does.
 */
import type { Logger, RaftConfig } from '@raftkit/raft-core'
import type { NetworkFactory } from './harness.js'
import type { NodeFactory } from './node.js'
import { describeFailure, diskModelOn, runScenario } from './runner.js'
import type { ClockKind } from './runner.js'
import { DEFAULT_CAPABILITIES } from './scenario.js'
import type { ClusterCapabilities, Part, Scenario } from './scenario.js'
import { selectScenarios } from './scenarios/index.js'
import type { StorageFactory } from './storage-harness.js'

export interface RaftScenariosOptions {
  /** Names the adapter pair in the describe() title. */
  readonly name: string
  /** Builds the network for a cluster of `ids`; it must honour the fault controls. */
  readonly createNetwork: NetworkFactory
  /** Builds one node's storage harness. */
  readonly createStorage: StorageFactory
  /** 'sim': SimulatedClock (fast, replayable from the seed); 'real': the system clock. */
  readonly clock: ClockKind
  /** @default Number(process.env.RAFTKIT_SEED) or 1 */
  readonly seed?: number
  /** Only the scenarios whose name or description matches. */
  readonly grep?: string | RegExp
  /** What the adapters lack; scenarios that need it are registered as pending. */
  readonly capabilities?: Partial<ClusterCapabilities>
  /** @default Raft.create */
  readonly createNode?: NodeFactory
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

/** The default seed: RAFTKIT_SEED from the environment, else 1. */
export function defaultSeed(): number {
  const env = process.env['RAFTKIT_SEED']
  if (env === undefined || env === '') return 1
  const seed = Number(env)
  if (!Number.isSafeInteger(seed))
    throw new TypeError(`RAFTKIT_SEED must be an integer, got "${env}"`)
  return seed
}

/** The default disk model: on, unless RAFTKIT_DISK_MODEL=off in the environment. */
export function defaultDiskModel(): boolean {
  const env = process.env['RAFTKIT_DISK_MODEL']
  if (env === undefined || env === '' || env === 'on') return true
  if (env === 'off') return false
  throw new TypeError(`RAFTKIT_DISK_MODEL must be "on" or "off", got "${env}"`)
}

function validate(options: RaftScenariosOptions): ClusterCapabilities {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('raftScenarios(options): options are required')
  if (typeof options.name !== 'string' || options.name === '')
    throw new TypeError(
      'raftScenarios: "name" must be a non-empty string (it titles the describe block)',
    )
  if (typeof options.createNetwork !== 'function')
    throw new TypeError(
      'raftScenarios: "createNetwork(ids, { seed, clock })" is required and must return a Network',
    )
  if (typeof options.createStorage !== 'function')
    throw new TypeError(
      'raftScenarios: "createStorage(id)" is required and must return a StorageHarness',
    )
  if (options.clock !== 'sim' && options.clock !== 'real')
    throw new TypeError(
      `raftScenarios: "clock" must be 'sim' or 'real', got ${String(options.clock)}`,
    )
  if (options.seed !== undefined && !Number.isSafeInteger(options.seed))
    throw new TypeError(`raftScenarios: "seed" must be an integer, got ${String(options.seed)}`)
  for (const key of Object.keys(options.capabilities ?? {}))
    if (!(key in DEFAULT_CAPABILITIES))
      throw new TypeError(
        `raftScenarios: unknown capability "${key}" (known: ${Object.keys(DEFAULT_CAPABILITIES).join(', ')})`,
      )
  return { ...DEFAULT_CAPABILITIES, ...options.capabilities }
}

/** Registers the scenarios with mocha's describe/it (grouped by part: 2A, 2B, 2C, 2D, M). */
export function raftScenarios(options: RaftScenariosOptions): void {
  const capabilities = validate(options)
  const seed = options.seed ?? defaultSeed()
  const diskModel = diskModelOn({
    clock: options.clock,
    diskModel: options.diskModel ?? defaultDiskModel(),
  })
  const selected = selectScenarios(options.grep)
  const parts: Part[] = ['2A', '2B', '2C', '2D', 'M']
  const disk = options.clock === 'sim' ? `, disk model ${diskModel ? 'on' : 'off'}` : ''
  describe(`Raft scenarios: ${options.name} (${options.clock} clock, seed ${seed}${disk})`, function () {
    for (const part of parts) {
      const inPart = selected.filter((s) => s.part === part)
      if (inPart.length === 0) continue
      describe(part, function () {
        for (const s of inPart) register(s, { ...options, diskModel }, capabilities, seed)
      })
    }
  })
}

function register(
  s: Scenario,
  options: RaftScenariosOptions,
  capabilities: ClusterCapabilities,
  seed: number,
): void {
  const supported = s.requires.every((need) => capabilities[need])
  if (!supported) {
    it.skip(`${s.name}: ${s.description} (needs ${s.requires.join(', ')})`)
    return
  }
  it(`${s.name}: ${s.description}`, async function () {
    // Wall-clock allowance: the lab's 120 s budget plus cleanup (a simulated run is far faster).
    this.timeout(180_000)
    try {
      await runScenario(s, {
        seed,
        clock: options.clock,
        createNetwork: options.createNetwork,
        createStorage: options.createStorage,
        diskModel: options.diskModel === true,
        ...(options.createNode ? { createNode: options.createNode } : {}),
        ...(options.raftConfig ? { raftConfig: options.raftConfig } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
        ...(options.quiet ? {} : { log: (line: string) => console.log(line) }),
      })
    } catch (e) {
      throw new Error(describeFailure(s, seed, options.clock, e, options.diskModel === true), {
        cause: e,
      })
    }
  })
}

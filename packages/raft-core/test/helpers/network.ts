/**
 * A synchronous in-test network of RawNodes (etcd raft_test.go style). Each node has a plain
 * persisted-state object the helper keeps up to date from its Readys, so a node can be
 * "restarted" from exactly what it persisted. Messages go through the wire codec (copies, like a
 * real transport). Faults: drop a fraction of messages, cut links, isolate nodes.
 */
import { decodeMessage, encodeMessage } from '../../src/codec.js'
import { DEFAULT_CORE_CONFIG, type CoreConfig } from '../../src/config.js'
import { MemoryLogger } from '../../src/logger.js'
import type { Message } from '../../src/messages.js'
import { RawNode } from '../../src/raw-node.js'
import type { Ready, ReadState } from '../../src/ready.js'
import { createRng, seedFrom, type Rng } from '../../src/rng.js'
import type { PersistedState } from '../../src/storage.js'
import {
  EMPTY_HARD_STATE,
  type Entry,
  type HardState,
  type NodeId,
  type Snapshot,
} from '../../src/types.js'

export const TEST_CONFIG: CoreConfig = {
  ...DEFAULT_CORE_CONFIG,
  electionTicksMin: 10,
  electionTicksMax: 20,
  heartbeatTicks: 1,
}

export interface Store {
  hardState: HardState
  snapshot?: Snapshot
  entries: Entry[]
}

export function emptyStore(): Store {
  return { hardState: EMPTY_HARD_STATE, entries: [] }
}

/** Applies one Ready's durable part to a store, as the Storage contract describes. */
export function persist(store: Store, rd: Ready): void {
  if (rd.snapshot) {
    const { index, term } = rd.snapshot.meta
    const at = store.entries.find((e) => e.index === index)
    store.entries = at?.term === term ? store.entries.filter((e) => e.index > index) : []
    store.snapshot = rd.snapshot
  }
  const first = rd.entries[0]
  if (first) store.entries = [...store.entries.filter((e) => e.index < first.index), ...rd.entries]
  if (rd.hardState) store.hardState = rd.hardState
}

export function restoredFrom(store: Store): PersistedState {
  return {
    hardState: store.hardState,
    entries: [...store.entries],
    ...(store.snapshot ? { snapshot: store.snapshot } : {}),
  }
}

export interface NetworkOptions {
  readonly config?: Partial<CoreConfig>
  readonly seed?: number
}

/** What one node applied, in order (snapshots reset it to the snapshot index). */
export interface AppliedLog {
  lastIndex: number
  readonly entries: Map<number, Entry>
}

export class Network {
  /** Every node the network knows (the initial ones, then those added with join()). */
  readonly ids: NodeId[]
  /** The initial voters each node starts with (a joined node starts with none). */
  private readonly initial: readonly NodeId[]
  private readonly joined = new Set<NodeId>()
  readonly nodes = new Map<NodeId, RawNode>()
  readonly stores = new Map<NodeId, Store>()
  readonly applied = new Map<NodeId, AppliedLog>()
  readonly readStates = new Map<NodeId, ReadState[]>()
  readonly loggers = new Map<NodeId, MemoryLogger>()
  /** Every message ever delivered, for assertions on traffic. */
  readonly sent: Message[] = []
  /** Links that drop everything, as "from->to". */
  private readonly cuts = new Set<string>()
  /** Fraction of messages dropped at random. */
  dropRate = 0
  /** Deliver each round's messages in a random order, some of them twice. */
  reorder = false
  /** Optional hook: return false to drop a message. */
  filter: ((m: Message) => boolean) | undefined
  readonly config: CoreConfig
  private readonly rng: Rng
  private readonly seed: number
  private incarnation = 0

  constructor(ids: readonly NodeId[], options: NetworkOptions = {}) {
    this.ids = [...ids]
    this.initial = [...ids]
    this.config = { ...TEST_CONFIG, ...options.config }
    this.seed = options.seed ?? 1
    this.rng = createRng(seedFrom(this.seed, 'network'))
    for (const id of ids) {
      this.stores.set(id, emptyStore())
      this.start(id)
    }
  }

  node(id: NodeId): RawNode {
    const n = this.nodes.get(id)
    if (!n) throw new Error(`no node ${id}`)
    return n
  }

  store(id: NodeId): Store {
    const s = this.stores.get(id)
    if (!s) throw new Error(`no store ${id}`)
    return s
  }

  /** (Re)creates node `id` from its persisted store; unpersisted state is lost. */
  start(id: NodeId): RawNode {
    const logger = new MemoryLogger()
    const store = this.store(id)
    const node = new RawNode({
      id,
      peers: this.joined.has(id) ? [] : this.initial,
      config: this.config,
      restored: restoredFrom(store),
      rng: createRng(seedFrom(this.seed, `${id}#${this.incarnation++}`)),
      logger,
    })
    this.nodes.set(id, node)
    this.loggers.set(id, logger)
    const snapIndex = store.snapshot?.meta.index ?? 0
    this.applied.set(id, { lastIndex: snapIndex, entries: new Map(this.applied.get(id)?.entries) })
    return node
  }

  /** Starts a new, empty node that joins the cluster (it knows no member until the leader's log). */
  join(id: NodeId): RawNode {
    if (this.stores.has(id)) throw new Error(`node ${id} exists`)
    this.ids.push(id)
    this.joined.add(id)
    this.stores.set(id, emptyStore())
    return this.start(id)
  }

  /** Stops `id` for good (its messages and those to it are lost), e.g. a removed node. */
  stop(id: NodeId): void {
    this.isolate(id)
  }

  restart(id: NodeId): RawNode {
    return this.start(id)
  }

  /** Service-driven compaction of `id` at `index` (must be applied), persisted like Storage.compact. */
  compact(id: NodeId, index: number): Snapshot {
    const snapshot = this.node(id).compact(index, text(`snapshot of ${id} at ${index}`))
    const store = this.store(id)
    store.snapshot = snapshot
    store.entries = store.entries.filter((e) => e.index > index)
    return snapshot
  }

  cut(a: NodeId, b: NodeId): void {
    this.cuts.add(`${a}->${b}`)
    this.cuts.add(`${b}->${a}`)
  }

  isolate(id: NodeId): void {
    for (const other of this.ids) if (other !== id) this.cut(id, other)
  }

  /** Splits the cluster: no traffic between the groups. */
  partition(...groups: NodeId[][]): void {
    for (const g of groups)
      for (const h of groups) if (g !== h) for (const a of g) for (const b of h) this.cut(a, b)
  }

  heal(): void {
    this.cuts.clear()
  }

  private delivers(m: Message): boolean {
    if (this.cuts.has(`${m.from}->${m.to}`)) return false
    if (this.filter && !this.filter(m)) return false
    if (this.dropRate > 0 && this.rng.next() < this.dropRate) return false
    return true
  }

  /** Handles one Ready of `id` like a driver; returns the messages it produced. */
  processReady(id: NodeId): Message[] {
    const node = this.node(id)
    if (!node.hasReady()) return []
    const rd = node.ready()
    persist(this.store(id), rd)
    this.apply(id, rd)
    if (rd.readStates.length > 0)
      this.readStates.set(id, [...(this.readStates.get(id) ?? []), ...rd.readStates])
    node.advance(rd)
    return [...rd.messages]
  }

  private apply(id: NodeId, rd: Ready): void {
    const log = this.applied.get(id)
    if (!log) return
    if (rd.snapshot) log.lastIndex = rd.snapshot.meta.index
    for (const e of rd.committed) {
      if (e.index !== log.lastIndex + 1)
        throw new Error(`${id} applied ${e.index} after ${log.lastIndex}`)
      const before = log.entries.get(e.index)
      if (before && (before.term !== e.term || untext(before.data) !== untext(e.data)))
        throw new Error(`${id} applied a different entry at ${e.index} after a restart`)
      log.lastIndex = e.index
      log.entries.set(e.index, e)
    }
  }

  /** Runs Readys and deliveries until nothing is left to do (no ticks). */
  settle(maxRounds = 1000): void {
    for (let round = 0; round < maxRounds; round++) {
      const outbox: Message[] = []
      for (const id of this.ids) outbox.push(...this.processReady(id))
      if (outbox.length === 0) return
      if (this.reorder) this.shuffle(outbox)
      for (const m of outbox) this.deliver(m)
    }
    throw new Error('network did not settle')
  }

  /** Fisher-Yates with the seeded RNG, plus a few duplicates. */
  private shuffle(msgs: Message[]): void {
    for (let i = msgs.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1)
      const t = msgs[i]!
      msgs[i] = msgs[j]!
      msgs[j] = t
    }
    const n = msgs.length
    for (let i = 0; i < n; i++) if (this.rng.next() < 0.1) msgs.push(msgs[this.rng.int(n)]!)
  }

  /** Delivers one message (through the codec) if the faults allow it. */
  deliver(m: Message): void {
    if (!this.delivers(m)) return
    this.sent.push(m)
    this.nodes.get(m.to)?.step(decodeMessage(encodeMessage(m)))
  }

  tick(ids: readonly NodeId[] = this.ids, times = 1): void {
    for (let i = 0; i < times; i++) {
      for (const id of ids) this.node(id).tick()
      this.settle()
    }
  }

  /** Elects `id`: campaign then settle. */
  elect(id: NodeId): void {
    this.node(id).campaign()
    this.settle()
  }

  leaders(): NodeId[] {
    return this.ids.filter((id) => this.node(id).getState().isLeader)
  }

  /** Proposes on `id` and settles; returns where the entry went. */
  propose(id: NodeId, text: string): { index: number; term: number } {
    const r = this.node(id).propose(new TextEncoder().encode(text))
    this.settle()
    return r
  }

  appliedTexts(id: NodeId): string[] {
    const log = this.applied.get(id)
    if (!log) return []
    return [...log.entries.entries()]
      .sort(([a], [b]) => a - b)
      .filter(([, e]) => e.kind === 'command')
      .map(([, e]) => new TextDecoder().decode(e.data))
  }
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s)
export const untext = (b: Uint8Array): string => new TextDecoder().decode(b)

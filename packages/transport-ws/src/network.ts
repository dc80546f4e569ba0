/**
 * A Network of WebSocket transports on loopback, for the conformance suite and benchmarks:
 * every node is a real server with real authenticated connections, and the lab's fault
 * controls (connect/disconnect, partitions, unreliable, long reordering) act on the transports'
 * send and receive sides. endpoint(id) called again (a restarted node) closes the old
 * transport and starts a fresh one on the same port (another port if that one is taken,
 * announced to every peer).
 */
import { randomBytes } from 'node:crypto'
import {
  ConfigError,
  Reachability,
  StoppedError,
  SystemClock,
  UnknownPeerError,
  createRng,
  randomRng,
  silentLogger,
} from '@raftkit/raft-core'
import type {
  Clock,
  FaultModes,
  Logger,
  Network,
  NetworkStats,
  NodeId,
  NodeStats,
  Rng,
} from '@raftkit/raft-core'
import { checkSecret } from './options.js'
import { WsTransportImpl } from './transport.js'
import type { WsTransport } from './transport.js'

export interface WsNetworkOptions {
  /** The node ids; each gets a transport listening on `host` at a port chosen by the OS. */
  readonly ids: readonly NodeId[]
  /** @default '127.0.0.1' */
  readonly host?: string
  /** Cluster secret of every transport. @default random */
  readonly secret?: string
  /** Seed of fault randomness (drops, delays, backoff jitter). @default random */
  readonly seed?: number
  /** @default new SystemClock() */
  readonly clock?: Clock
  /** @default silentLogger */
  readonly logger?: Logger
}

export interface WsNetwork extends Network {
  /** The current transport of `id`; a second call restarts it (fresh transport, same port). */
  endpoint(id: NodeId): WsTransport
  /** "host:port" where `id` currently listens. */
  address(id: NodeId): string
  /** Resolves once every restarted transport is listening again. */
  settled(): Promise<void>
  close(): Promise<void>
}

class WsNetworkImpl implements WsNetwork {
  private readonly reach = new Reachability()
  private readonly current = new Map<NodeId, WsTransportImpl>()
  private readonly handedOut = new Set<NodeId>()
  private readonly addresses = new Map<NodeId, string>()
  /** Every transport ever created here: network totals include restarted nodes' counts. */
  private readonly all: WsTransportImpl[] = []
  private readonly pending = new Set<Promise<void>>()
  private readonly rng: Rng
  private readonly secret: string
  private readonly clock: Clock
  private readonly logger: Logger
  private modes: FaultModes = { reliable: true, longReordering: false }
  private closing: Promise<void> | null = null

  constructor(
    private readonly ids: readonly NodeId[],
    private readonly host: string,
    options: WsNetworkOptions,
  ) {
    this.rng = options.seed === undefined ? randomRng() : createRng(options.seed)
    this.secret = options.secret ?? randomBytes(16).toString('hex')
    this.clock = options.clock ?? new SystemClock()
    this.logger = options.logger ?? silentLogger
  }

  /** Binds every node, then tells each where the others are. */
  async init(): Promise<void> {
    try {
      for (const id of this.ids) {
        const t = this.create(id)
        const port = await t.start(this.host, 0)
        this.addresses.set(id, `${this.host}:${port}`)
      }
    } catch (e) {
      await this.close()
      throw e
    }
    for (const t of this.current.values()) t.setPeers(this.peersOf(t.id))
  }

  endpoint(id: NodeId): WsTransport {
    if (this.closing !== null) throw new StoppedError('the ws network is closed: create a new one')
    const old = this.current.get(id)
    if (old === undefined) throw new UnknownPeerError(String(id))
    if (!this.handedOut.has(id)) {
      this.handedOut.add(id)
      return old
    }
    const fresh = this.create(id)
    const restart = this.restart(old, fresh).catch((e: unknown) => {
      this.logger.error('a restarted ws transport could not listen', { id, error: String(e) })
    })
    this.pending.add(restart)
    void restart.finally(() => this.pending.delete(restart))
    return fresh
  }

  address(id: NodeId): string {
    const a = this.addresses.get(id)
    if (a === undefined) throw new UnknownPeerError(String(id))
    return a
  }

  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending])
  }

  connect(id: NodeId): void {
    this.reach.connect(id)
  }
  disconnect(id: NodeId): void {
    this.reach.disconnect(id)
  }
  partition(groups: ReadonlyArray<readonly NodeId[]>): void {
    this.reach.partition(groups)
  }
  heal(): void {
    this.reach.heal()
  }
  setReliable(reliable: boolean): void {
    this.modes = { ...this.modes, reliable }
    for (const t of this.current.values()) t.faults.setLabModes(this.modes)
  }
  /** Recorded only: a one-way network drops messages to unreachable nodes at once. */
  setLongDelays(_enabled: boolean): void {}
  setLongReordering(longReordering: boolean): void {
    this.modes = { ...this.modes, longReordering }
    for (const t of this.current.values()) t.faults.setLabModes(this.modes)
  }

  stats(): NetworkStats {
    let rpcs = 0
    let messages = 0
    let bytes = 0
    for (const t of this.all) {
      rpcs += t.counters.submittedRequests
      messages += t.counters.submitted
      bytes += t.counters.submittedRequestBytes + t.counters.deliveredReplyBytes
    }
    const nodes: Record<NodeId, NodeStats> = {}
    for (const [id, t] of this.current)
      nodes[id] = { rpcs: t.counters.deliveredRequests, bytes: t.counters.bytesReceived }
    return { rpcs, messages, bytes, nodes }
  }

  close(): Promise<void> {
    this.closing ??= this.doClose()
    return this.closing
  }

  private async doClose(): Promise<void> {
    await Promise.all([...this.pending])
    await Promise.all([...this.current.values()].map((t) => t.close()))
  }

  private create(id: NodeId): WsTransportImpl {
    const t = new WsTransportImpl(
      {
        id,
        listen: { host: this.host, port: 0 },
        peers: this.addresses.size === this.ids.length ? this.peersOf(id) : {},
        secret: this.secret,
        clock: this.clock,
        rng: this.rng.fork(),
        logger: this.logger,
      },
      undefined,
    )
    t.faults.setGate((from, to) => this.reach.canReach(from, to))
    t.faults.setLabModes(this.modes)
    this.current.set(id, t)
    this.all.push(t)
    return t
  }

  private peersOf(id: NodeId): Record<NodeId, string> {
    const peers: Record<NodeId, string> = {}
    for (const [other, address] of this.addresses) if (other !== id) peers[other] = address
    return peers
  }

  /** Closes the old transport, then binds the fresh one on the same port if it can. */
  private async restart(old: WsTransportImpl, fresh: WsTransportImpl): Promise<void> {
    await old.close()
    if (fresh.isClosed) return
    const [, portText] = this.address(fresh.id).split(/:(?=\d+$)/)
    try {
      await fresh.start(this.host, Number(portText))
      return
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || fresh.isClosed) throw e
    }
    const port = await fresh.start(this.host, 0)
    this.addresses.set(fresh.id, `${this.host}:${port}`)
    for (const t of this.current.values()) t.setPeers(this.peersOf(t.id))
  }
}

/** Creates `ids.length` WebSocket transports on loopback, connected as one network. */
export async function createWsNetwork(options: WsNetworkOptions): Promise<WsNetwork> {
  if (typeof options !== 'object' || options === null || !Array.isArray(options.ids))
    throw new ConfigError('ids', 'createWsNetwork needs { ids: [...] }')
  const ids = options.ids
  if (ids.length === 0) throw new ConfigError('ids', 'a network needs at least one node id')
  if (!ids.every((id) => typeof id === 'string' && id.length > 0))
    throw new ConfigError('ids', 'every node id must be a non-empty string')
  if (new Set(ids).size !== ids.length) throw new ConfigError('ids', 'node ids must be unique')
  if (options.secret !== undefined) checkSecret(options.secret)
  const network = new WsNetworkImpl(ids, options.host ?? '127.0.0.1', options)
  await network.init()
  return network
}

/**
 * Fault injection for real sockets, applied on the send side (drop, delay, block) and again on
 * the receive side (block), so the chaos monkey and the conformance suite run over real
 * connections. Dropped messages vanish silently: the sender's Raft times out, it never fails
 * fast. Connections stay up while a peer is blocked, so healing takes effect at once.
 */
import { ConfigError, planDelivery } from '@raftkit/raft-core'
import type { DeliveryPlan, FaultModes, NodeId, Rng } from '@raftkit/raft-core'

/** Per-node fault controls of a WebSocket transport. */
export interface NodeFaultControls {
  /** Drops every message to and from these peers (connections stay open). */
  block(peerIds: readonly NodeId[]): void
  /** Undoes block() for these peers. */
  unblock(peerIds: readonly NodeId[]): void
  /** Drops each outgoing message with probability p (0 ≤ p ≤ 1). */
  setDropProbability(p: number): void
  /** Delays each outgoing message uniformly in [minMs, maxMs] (so messages may reorder). */
  setDelay(minMs: number, maxMs: number): void
  /** Blocks every peer, present and future, until heal(). */
  isolate(): void
  /** Removes every fault: no blocks, no isolation, no drops, no delay. */
  heal(): void
  /** The faults in force. */
  state(): FaultState
}

export interface FaultState {
  readonly blocked: readonly NodeId[]
  readonly isolated: boolean
  readonly dropProbability: number
  readonly delay: { readonly minMs: number; readonly maxMs: number }
}

/** Reachability decided outside the node (a WsNetwork's connect/disconnect/partition). */
export type Gate = (from: NodeId, to: NodeId) => boolean

export class FaultShim implements NodeFaultControls {
  private readonly blocked = new Set<NodeId>()
  private isolated = false
  private dropProbability = 0
  private minDelayMs = 0
  private maxDelayMs = 0
  private gate: Gate | null = null
  private lab: FaultModes | null = null

  constructor(
    private readonly self: NodeId,
    private readonly rng: Rng,
  ) {}

  block(peerIds: readonly NodeId[]): void {
    const ids = checkIds(peerIds, 'block')
    for (const id of ids) this.blocked.add(id)
  }

  unblock(peerIds: readonly NodeId[]): void {
    const ids = checkIds(peerIds, 'unblock')
    for (const id of ids) this.blocked.delete(id)
  }

  setDropProbability(p: number): void {
    if (typeof p !== 'number' || !(p >= 0 && p <= 1))
      throw new ConfigError('dropProbability', `must be a number in [0, 1], got ${String(p)}`)
    this.dropProbability = p
  }

  setDelay(minMs: number, maxMs: number): void {
    if (
      typeof minMs !== 'number' ||
      typeof maxMs !== 'number' ||
      !Number.isFinite(minMs) ||
      !Number.isFinite(maxMs) ||
      minMs < 0 ||
      maxMs < minMs
    )
      throw new ConfigError(
        'delay',
        `needs finite 0 <= minMs <= maxMs, got ${String(minMs)}, ${String(maxMs)}`,
      )
    this.minDelayMs = minMs
    this.maxDelayMs = maxMs
  }

  isolate(): void {
    this.isolated = true
  }

  heal(): void {
    this.blocked.clear()
    this.isolated = false
    this.dropProbability = 0
    this.minDelayMs = 0
    this.maxDelayMs = 0
  }

  state(): FaultState {
    return {
      blocked: [...this.blocked].sort(),
      isolated: this.isolated,
      dropProbability: this.dropProbability,
      delay: { minMs: this.minDelayMs, maxMs: this.maxDelayMs },
    }
  }

  /** Installed by a WsNetwork: its connect/disconnect/partition state. */
  setGate(gate: Gate | null): void {
    this.gate = gate
  }

  /** Installed by a WsNetwork: the lab's unreliable / long-reordering model. */
  setLabModes(modes: FaultModes | null): void {
    this.lab = modes
  }

  /** Whether messages between this node and `peer` may pass (either direction). */
  allows(peer: NodeId): boolean {
    if (this.isolated || this.blocked.has(peer)) return false
    if (this.gate && (!this.gate(this.self, peer) || !this.gate(peer, this.self))) return false
    return true
  }

  /** The fate of one outgoing message to `peer`. */
  plan(peer: NodeId, request: boolean): DeliveryPlan {
    if (!this.allows(peer)) return { drop: true }
    let delayMs = 0
    if (this.lab) {
      const p = planDelivery(this.rng, this.lab, request)
      if (p.drop) return p
      delayMs = p.delayMs
    }
    if (this.dropProbability > 0 && this.rng.next() < this.dropProbability) return { drop: true }
    if (this.maxDelayMs > 0)
      delayMs += this.minDelayMs + this.rng.next() * (this.maxDelayMs - this.minDelayMs)
    return { drop: false, delayMs }
  }
}

function checkIds(ids: readonly NodeId[], what: string): readonly NodeId[] {
  const list: unknown = ids
  if (!Array.isArray(list) || !list.every((id) => typeof id === 'string' && id.length > 0))
    throw new ConfigError(what, 'needs an array of node ids')
  return ids
}

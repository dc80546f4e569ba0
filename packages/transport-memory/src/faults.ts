/**
 * Fault state of a memory network: who can reach whom (disconnections, partitions) and what
 * happens to one message (dropped or delayed). Pure decisions; the network applies them.
 */
import type { NodeId, Rng } from '@raftkit/raft-core'
import {
  LONG_REORDER_MIN_MS,
  LONG_REORDER_PROBABILITY,
  LONG_REORDER_SPREAD_MS,
  REPLY_DROP_PROBABILITY,
  REQUEST_DROP_PROBABILITY,
  UNRELIABLE_DELAY_MS,
} from './constants.js'

/** What the network does with one message. */
export type DeliveryPlan =
  { readonly drop: true } | { readonly drop: false; readonly delayMs: number }

export class Reachability {
  private readonly disconnected = new Set<NodeId>()
  /** node -> group number while a partition is in force; null when there is none. */
  private groups: Map<NodeId, number> | null = null

  connect(id: NodeId): void {
    this.disconnected.delete(id)
  }

  disconnect(id: NodeId): void {
    this.disconnected.add(id)
  }

  partition(groups: ReadonlyArray<readonly NodeId[]>): void {
    const map = new Map<NodeId, number>()
    groups.forEach((group, g) => {
      for (const id of group) map.set(id, g)
    })
    this.groups = map
  }

  heal(): void {
    this.groups = null
    this.disconnected.clear()
  }

  isConnected(id: NodeId): boolean {
    return !this.disconnected.has(id)
  }

  /**
   * Whether a message from `from` can reach `to` right now. A disconnected node cannot even
   * reach itself (as in labrpc); under a partition, nodes not listed in any group are isolated.
   */
  canReach(from: NodeId, to: NodeId): boolean {
    if (this.disconnected.has(from) || this.disconnected.has(to)) return false
    if (this.groups === null) return true
    const a = this.groups.get(from)
    return a !== undefined && a === this.groups.get(to)
  }
}

export interface FaultModes {
  readonly reliable: boolean
  readonly longReordering: boolean
}

/**
 * Draws the fate of one message. Requests and replies may each be dropped (10 %) and delayed
 * 0–26 ms on an unreliable network; with long reordering 2/3 of the replies are held back
 * 200–2199 ms, skewed toward the short end like labrpc's nested random bound.
 */
export function planDelivery(rng: Rng, modes: FaultModes, request: boolean): DeliveryPlan {
  let delayMs = 0
  if (!modes.reliable) {
    delayMs = rng.int(UNRELIABLE_DELAY_MS)
    const dropProbability = request ? REQUEST_DROP_PROBABILITY : REPLY_DROP_PROBABILITY
    if (rng.next() < dropProbability) return { drop: true }
  }
  if (!request && modes.longReordering && rng.next() < LONG_REORDER_PROBABILITY) {
    delayMs += LONG_REORDER_MIN_MS + rng.int(1 + rng.int(LONG_REORDER_SPREAD_MS))
  }
  return { drop: false, delayMs }
}

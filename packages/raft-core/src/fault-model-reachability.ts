/**
 * Who can reach whom on a lab network: disconnected nodes and partitions (the `connect`,
 * `disconnect`, `partition` and `heal` fault controls). Pure state, no timers and no I/O: a
 * network asks `canReach(from, to)` when a message is sent (and, if it models flight time,
 * again when it arrives). Shared by transport-memory and transport-ws.
 */
import { ConfigError } from './errors.js'
import type { NodeId } from './types.js'

export class Reachability {
  private readonly disconnected = new Set<NodeId>()
  /** node -> group number while a partition is in force; null when there is none. */
  private groups: Map<NodeId, number> | null = null

  /** Undoes disconnect(id). */
  connect(id: NodeId): void {
    checkId(id, 'connect')
    this.disconnected.delete(id)
  }

  /** Cuts `id` off until connect(id) or heal(). */
  disconnect(id: NodeId): void {
    checkId(id, 'disconnect')
    this.disconnected.add(id)
  }

  /**
   * Only nodes in the same group can talk; nodes not listed in any group are isolated. Replaces
   * any earlier partition. A node listed in two groups is refused (ConfigError, nothing changes).
   */
  partition(groups: ReadonlyArray<readonly NodeId[]>): void {
    const list: unknown = groups
    if (!Array.isArray(list))
      throw new ConfigError('partition', 'needs an array of groups (arrays of node ids)')
    const map = new Map<NodeId, number>()
    groups.forEach((group, g) => {
      const members: unknown = group
      if (!Array.isArray(members))
        throw new ConfigError('partition', `group ${g} is not an array of node ids`)
      for (const id of group) {
        checkId(id, 'partition')
        const other = map.get(id)
        if (other !== undefined && other !== g)
          throw new ConfigError('partition', `node ${id} is listed in groups ${other} and ${g}`)
        map.set(id, g)
      }
    })
    this.groups = map
  }

  /** Removes the partition and reconnects every node. */
  heal(): void {
    this.groups = null
    this.disconnected.clear()
  }

  /** False after disconnect(id) until connect(id) or heal(). */
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

function checkId(id: unknown, what: string): void {
  if (typeof id !== 'string' || id.length === 0)
    throw new ConfigError(what, `a node id must be a non-empty string, got ${String(id)}`)
}

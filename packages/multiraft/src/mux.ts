/**
 * One transport, many Raft groups. A node process has a single network endpoint; every group it
 * hosts gets a virtual `Transport` from `TransportMux.group(groupId)`. Outgoing messages carry
 * the group id in an extra `group` field (the wire codecs and transport-memory carry unknown
 * string fields as they are); incoming messages are handed to the group they name, with the
 * field removed, so raft-core never sees it and never learns about groups.
 *
 * Node ids stay per node: group g's replica on node "n1" is Raft node "n1" of group g. Faults on
 * the node's endpoint (disconnect, partition, loss) therefore hit every group it hosts, as they
 * would on a real machine. A message for a group this node does not host (not yet created,
 * stopped, or never here) is dropped and counted: a lost message is what Raft expects from a
 * network, and the sender's timers take care of it.
 */
import type { Message, NodeId, Transport } from '@raftkit/raft-core'
import { ConfigError } from '@raftkit/raft-core'

/** The field that carries the group id on the wire. */
export const GROUP_FIELD = 'group'

/** A Raft message with its group id, as it travels on the shared transport. */
export type GroupMessage = Message & { readonly group: string }

export interface MuxStats {
  /** Messages sent per group. */
  readonly sent: Readonly<Record<string, number>>
  /** Messages delivered per group. */
  readonly delivered: Readonly<Record<string, number>>
  /** Messages dropped because they named no group, or a group not hosted here. */
  readonly dropped: number
}

/** Throws ConfigError unless `groupId` is a usable group id. */
export function validateGroupId(groupId: unknown): asserts groupId is string {
  if (typeof groupId !== 'string' || groupId.length === 0 || groupId.length > 256)
    throw new ConfigError('groupId', `must be a non-empty string of at most 256 characters`)
}

class GroupTransport implements Transport {
  handler: ((message: Message) => void) | null = null
  closed = false

  constructor(
    readonly id: NodeId,
    readonly groupId: string,
    private readonly mux: TransportMux,
  ) {}

  send(message: Message): void {
    if (this.closed) return
    this.mux.sendFor(this, message)
  }

  listen(handler: (message: Message) => void): void {
    this.handler = handler
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.handler = null
    this.mux.release(this)
  }
}

export class TransportMux {
  private readonly groups = new Map<string, GroupTransport>()
  private readonly sent = new Map<string, number>()
  private readonly delivered = new Map<string, number>()
  private dropped = 0
  private closed = false

  /** Takes over `physical`'s inbound handler. */
  constructor(private readonly physical: Transport) {
    physical.listen((message) => this.receive(message))
  }

  get id(): NodeId {
    return this.physical.id
  }

  /**
   * The transport of group `groupId` on this node. A second call for the same group replaces
   * the first (a restarted replica): the old one goes deaf and mute.
   */
  group(groupId: string): Transport {
    validateGroupId(groupId)
    if (this.closed) throw new ConfigError('transport', 'this TransportMux is closed')
    const old = this.groups.get(groupId)
    if (old) old.closed = true
    const t = new GroupTransport(this.physical.id, groupId, this)
    this.groups.set(groupId, t)
    return t
  }

  /** Group ids with a live transport on this node, sorted. */
  hosted(): string[] {
    return [...this.groups.keys()].sort()
  }

  stats(): MuxStats {
    return {
      sent: Object.fromEntries([...this.sent].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      delivered: Object.fromEntries(
        [...this.delivered].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      ),
      dropped: this.dropped,
    }
  }

  /** Closes every group transport and the physical one. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const t of this.groups.values()) {
      t.closed = true
      t.handler = null
    }
    this.groups.clear()
    await this.physical.close()
  }

  /** @internal */
  sendFor(t: GroupTransport, message: Message): void {
    if (this.groups.get(t.groupId) !== t) return
    this.sent.set(t.groupId, (this.sent.get(t.groupId) ?? 0) + 1)
    this.physical.send({ ...message, [GROUP_FIELD]: t.groupId } as GroupMessage)
  }

  /** @internal */
  release(t: GroupTransport): void {
    if (this.groups.get(t.groupId) === t) this.groups.delete(t.groupId)
  }

  private receive(message: Message): void {
    const raw = message as Message & { group?: unknown }
    const groupId = raw.group
    const t = typeof groupId === 'string' ? this.groups.get(groupId) : undefined
    if (!t || t.closed || !t.handler || typeof groupId !== 'string') {
      this.dropped++
      return
    }
    const { group: _group, ...inner } = raw
    this.delivered.set(groupId, (this.delivered.get(groupId) ?? 0) + 1)
    t.handler(inner)
  }
}

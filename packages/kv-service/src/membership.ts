/**
 * Server-side wiring of membership changes: where every member of the cluster listens.
 *
 * The cluster file names the initial members; members added at run time are in the
 * replicated address book of the key/value state machine (an AddressCommand committed before
 * the configuration entry that adds the member, see docs/architecture.md). `MemberDirectory`
 * merges both and keeps two things current as the configuration and the book change:
 *
 *  - the peer transport's address list (`setPeers`): every member of the configuration in
 *    effect here and of the latest committed one, except this node. A member that the
 *    configuration in effect removed stays until that configuration commits: a leader that
 *    removes itself leads until then, and needs the remaining members' replies to commit it;
 *  - the HTTP address map the HTTP server uses for redirects to the leader (mutated in place).
 *
 * A node that restarts rebuilds the book from its snapshot and its committed log, so it knows
 * the addresses of members added after the cluster file was written. A joining node, which has
 * no configuration yet, talks to every address it was given at start.
 */
import type { Logger, Membership, NodeId } from '@raftkit/raft-core'
import { members, silentLogger } from '@raftkit/raft-core'
import type { MemberAddress } from './ops.js'

export interface DirectorySources {
  readonly self: NodeId
  /** Addresses known at start: the cluster file (and, when joining, what the cluster told). */
  readonly initial: ReadonlyMap<NodeId, MemberAddress>
  /** The configuration in effect on this node. */
  readonly membership: () => Membership
  /** The latest committed configuration this node knows of. */
  readonly committed: () => Membership
  /** The replicated address book (members added at run time). */
  readonly book: () => ReadonlyMap<NodeId, MemberAddress>
  /** Where the transport's address list goes ("host:port" by node id, self excluded). */
  readonly setPeers: (peers: Record<NodeId, string>) => void
  readonly logger?: Logger
}

export class MemberDirectory {
  /** HTTP "host:port" of every known node; shared with the HTTP server, mutated in place. */
  readonly httpAddresses: Record<NodeId, string> = {}
  private lastPeers = ''
  private readonly logger: Logger
  private readonly warned = new Set<NodeId>()

  constructor(private readonly sources: DirectorySources) {
    this.logger = sources.logger ?? silentLogger
    this.refresh()
  }

  /** The address of `id`: the book first (a re-added node may have moved), then the start list. */
  address(id: NodeId): MemberAddress | undefined {
    return this.sources.book().get(id) ?? this.sources.initial.get(id)
  }

  /** True when `id` has an entry in the replicated address book. */
  inBook(id: NodeId): boolean {
    return this.sources.book().has(id)
  }

  /** Every node with a known address (start list and book). */
  known(): Map<NodeId, MemberAddress> {
    const all = new Map(this.sources.initial)
    for (const [id, a] of this.sources.book()) all.set(id, a)
    return all
  }

  /** Recomputes the transport's peers and the HTTP map; call after any change of either source. */
  refresh(): void {
    const ids = [
      ...new Set([...members(this.sources.membership()), ...members(this.sources.committed())]),
    ]
    const known = this.known()
    for (const [id, a] of known) this.httpAddresses[id] = a.http
    // No configuration yet (a joining node): every address it was given.
    const wanted = ids.length === 0 ? [...known.keys()] : ids
    const peers: Record<NodeId, string> = {}
    for (const id of wanted) {
      if (id === this.sources.self) continue
      const a = known.get(id)
      if (a === undefined) {
        if (!this.warned.has(id)) {
          this.warned.add(id)
          this.logger.warn('no address known for a member; it cannot be reached yet', { id })
        }
        continue
      }
      peers[id] = a.peer
    }
    const key = JSON.stringify(Object.entries(peers).sort(([a], [b]) => (a < b ? -1 : 1)))
    if (key === this.lastPeers) return
    this.lastPeers = key
    this.sources.setPeers(peers)
    this.logger.info('peer addresses updated', { peers })
  }
}

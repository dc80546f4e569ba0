/**
 * The membership admin API (paths and bodies), shared by the server (http/members.ts) and the
 * CLI (cli/member.ts). Every endpoint needs the cluster secret in the Raftkit-Secret header.
 *
 *   GET    /v1/admin/members                 the configuration, addresses and (on the leader) progress
 *   POST   /v1/admin/members                 {"id","peer","http"}: records the addresses, adds a learner
 *   POST   /v1/admin/members/<id>/promote    learner -> voter (joint consensus)
 *   DELETE /v1/admin/members/<id>            removes a voter or learner (it may be down)
 *   POST   /v1/admin/transfer-leader         {"to": "<id>"}: hands leadership to a voter
 *
 * A follower answers 307 to the leader (NOT_LEADER), except GET /v1/admin/members while no
 * leader is known (it then answers its own view, `leader: null`). Changes answer 200 with the
 * new MembersView once the change is committed.
 */
import type { NodeId } from '@raftkit/raft-core'

export const MEMBERS_PATH = '/v1/admin/members'
export const TRANSFER_LEADER_PATH = '/v1/admin/transfer-leader'
/** The largest membership request body. */
export const MAX_MEMBERS_REQUEST_BYTES = 4 * 1024

export interface MemberView {
  readonly id: NodeId
  /** voter, learner, or outgoing (a voter of the old half of a joint configuration only). */
  readonly role: 'voter' | 'learner' | 'outgoing'
  readonly peer: string | null
  readonly http: string | null
  /** Leader's view of its replication (absent on followers and for the leader itself). */
  readonly progress?: { readonly match: number; readonly next: number; readonly state: string }
}

/** What GET /v1/admin/members answers (and the changes, once committed). */
export interface MembersView {
  /** The node that answered, its term and the leader it knows. */
  readonly node: NodeId
  readonly term: number
  readonly leader: NodeId | null
  readonly voters: readonly NodeId[]
  readonly learners: readonly NodeId[]
  /** The old voters while the configuration is joint (C_old,new); [] otherwise. */
  readonly outgoing: readonly NodeId[]
  readonly joint: boolean
  /** Log index of the entry holding this configuration (0: the initial one). */
  readonly configIndex: number
  /** Whether that configuration is committed. */
  readonly committed: boolean
  readonly leadTransferee: NodeId | null
  readonly members: readonly MemberView[]
}

/** Body of POST /v1/admin/members. */
export interface AddLearnerRequest {
  readonly id: NodeId
  /** "host:port" where the new node listens for peers. */
  readonly peer: string
  /** "host:port" of its HTTP API. */
  readonly http: string
}

export interface TransferLeaderRequest {
  readonly to: NodeId
}

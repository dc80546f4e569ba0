/**
 * GET /v1/status: what a node shows about itself, built from what KvServer reports (the Raft
 * status and the service's counters) — the HTTP layer holds no Raft node of its own.
 */
import type { NodeId, Status } from '@raftkit/raft-core'
import type { KvStats } from '../server.js'
import type { NodeStatus } from './protocol.js'

export function statusBody(
  s: Status,
  kv: KvStats,
  httpAddresses: Readonly<Record<NodeId, string>>,
): NodeStatus {
  const peers: Record<string, { match: number; next: number; state: string }> = {}
  for (const [peer, p] of Object.entries(s.progress ?? {}))
    peers[peer] = { match: p.match, next: p.next, state: p.state }
  return {
    id: s.id,
    role: s.role,
    term: s.term,
    leader: s.leader,
    leaderHttp: s.leader === null ? null : (httpAddresses[s.leader] ?? null),
    commitIndex: s.commitIndex,
    appliedIndex: s.appliedIndex,
    firstIndex: s.firstIndex,
    lastIndex: s.lastIndex,
    snapshotIndex: s.snapshotIndex,
    snapshotTerm: s.snapshotTerm,
    peers,
    kv: { appliedIndex: kv.appliedIndex, keys: kv.keys, sessions: kv.sessions },
  }
}

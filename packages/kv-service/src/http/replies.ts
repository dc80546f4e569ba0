/** How a KvServer failure reply is answered over HTTP (status and error code: protocol.ts). */
import type { NodeId } from '@raftkit/raft-core'
import type { KvReply } from '../rpc.js'
import { HttpError } from './io.js'

export function failureOf(
  reply: KvReply & { ok: false },
  redirect: (leader: NodeId | null) => HttpError,
): HttpError {
  switch (reply.error) {
    case 'WRONG_LEADER':
      return redirect(reply.leaderHint)
    case 'TIMEOUT':
      return new HttpError(
        'TIMEOUT',
        'the cluster did not complete the request in time (no quorum reachable?); a write may or may not have taken effect',
      )
    case 'STOPPED':
      return new HttpError('STOPPED', 'this node is shutting down; try another node')
    case 'SESSION_EXPIRED':
      return new HttpError(
        'SESSION_EXPIRED',
        'this client session is unknown to the cluster (never opened, or expired after server.sessionExpiryEntries idle entries): the request was not executed now, and whether an earlier attempt of it ran is unknown; read the key, then open a new session (POST /v1/sessions) and continue from seq 1',
      )
    case 'BAD_REQUEST':
      return new HttpError('BAD_REQUEST', reply.message)
    case 'CONFLICT':
      return new HttpError('REQUEST_CONFLICT', reply.message)
    case 'TOO_LARGE':
      return new HttpError('VALUE_TOO_LARGE', reply.message)
  }
}

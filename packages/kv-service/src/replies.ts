/**
 * The replies KvServer and its parts answer with that are not plain values: STOPPED and
 * TIMEOUT, WRONG_LEADER built from what the node knows of the leader, what a request Raft
 * refused is answered, and the reply for each outcome of applying a write (KvApplyResult).
 * No state: the only thing read is the node's status (for the leader's name).
 */
import type { LeaderNews, Logger } from '@raftkit/raft-core'
import { NotLeaderError, StoppedError } from '@raftkit/raft-core'
import type { KvRaft } from './raft-api.js'
import type { KvReply } from './rpc.js'
import type { KvApplyResult } from './state-machine.js'

export const STOPPED: KvReply = { ok: false, error: 'STOPPED' }
export const TIMEOUT: KvReply = { ok: false, error: 'TIMEOUT' }

/** WRONG_LEADER naming the leader `news` knows (none when this node leads again). */
export function wrongLeaderOf(news: LeaderNews): KvReply {
  return { ok: false, error: 'WRONG_LEADER', leaderHint: news.isLeader ? null : news.leader }
}

/** WRONG_LEADER naming the leader the node's status knows (none when it leads, or is killed). */
export function wrongLeaderReply(raft: Pick<KvRaft, 'status'>): KvReply {
  let hint: string | null = null
  try {
    const { id, leader } = raft.status()
    hint = leader === id ? null : leader
  } catch {
    hint = null // a killed node may refuse status(); the clerk will try elsewhere
  }
  return { ok: false, error: 'WRONG_LEADER', leaderHint: hint }
}

/** What a request Raft refused with `e` is answered (`stopped`: the server was killed). */
export function refusalReply(
  e: unknown,
  raft: Pick<KvRaft, 'status'>,
  stopped: boolean,
  logger: Logger,
): KvReply {
  if (e instanceof NotLeaderError)
    return {
      ok: false,
      error: 'WRONG_LEADER',
      leaderHint: e.leaderHint ?? wrongLeaderHint(raft),
    }
  if (e instanceof StoppedError || stopped) return STOPPED
  logger.warn('raft refused a request', { error: String(e) })
  return TIMEOUT
}

function wrongLeaderHint(raft: Pick<KvRaft, 'status'>): string | null {
  const reply = wrongLeaderReply(raft)
  return reply.ok === false && reply.error === 'WRONG_LEADER' ? reply.leaderHint : null
}

export function toReply(result: KvApplyResult): KvReply {
  switch (result.status) {
    case 'ok':
      return { ok: true, value: result.value }
    case 'session-expired':
      return { ok: false, error: 'SESSION_EXPIRED' }
    case 'too-large':
      return {
        ok: false,
        error: 'TOO_LARGE',
        message: `the value of key ${JSON.stringify(result.key).slice(0, 200)} would be ${result.bytes === undefined ? 'more than the limit' : `${result.bytes} bytes`}; the limit (limits.maxValueBytes) is ${result.limit}: not executed`,
      }
    case 'conflict':
      return {
        ok: false,
        error: 'CONFLICT',
        message:
          result.seq === result.lastSeq
            ? `seq ${result.seq} of session ${result.clientId} was used by a different request (another op, key or value): not executed`
            : `seq ${result.seq} of session ${result.clientId} is below its last executed seq ${result.lastSeq} (a reused sequence number): not executed`,
      }
    case 'malformed':
      return { ok: false, error: 'BAD_REQUEST', message: result.error.message }
  }
}

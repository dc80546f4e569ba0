/**
 * Where a request this node cannot serve goes: 307 to the leader's HTTP address (same scheme,
 * same target), or 503 with Retry-After while no leader is known, or when the leader's address
 * is unknown or the target too long to send back. Pure: builds the HttpError, throws nothing.
 */
import type { NodeId } from '@raftkit/raft-core'
import { HttpError } from './io.js'
import { LEADER_HEADER } from './protocol.js'

const MAX_REDIRECT_PATH = 8 * 1024

/** The answer for a request to `url` on a node that is not the leader (`leader`: the one it knows). */
export function redirectTo(
  url: string,
  leader: NodeId | null,
  httpAddresses: Readonly<Record<NodeId, string>>,
  scheme: 'http' | 'https',
): HttpError {
  const address = leader === null ? undefined : httpAddresses[leader]
  if (leader === null)
    return new HttpError(
      'NO_LEADER',
      'no leader is known right now (an election may be under way); retry shortly',
      { 'retry-after': '1' },
    )
  if (address === undefined || url.length > MAX_REDIRECT_PATH)
    return new HttpError('NO_LEADER', `not the leader; the leader is ${leader}`, {
      'retry-after': '1',
      [LEADER_HEADER]: leader,
    })
  return new HttpError('NOT_LEADER', `not the leader; the leader is ${leader}`, {
    location: `${scheme}://${address}${url}`,
    [LEADER_HEADER]: leader,
  })
}

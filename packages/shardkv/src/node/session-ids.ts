/**
 * Client ids issued by a sharded node's HTTP API (`POST /v1/sessions`), and their stamps.
 *
 * A shard creates a session at its first write and, once the session expired, refuses requests
 * of unknown sessions stamped below its horizon (kv/sessions.ts). The stamp must therefore be
 * the one given when the id was issued: an id is `s-<stamp>.<random>.<mac>`, the stamp being
 * the issuing node's wall clock (ms, base 36) and the mac an HMAC-SHA256 of the rest under the
 * cluster secret, checked by every node before a write is forwarded. A client cannot pick its
 * own stamp (a far-future stamp, once expired, would refuse every new session of that shard),
 * nor use an id no node issued.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { ISSUED_ID_PREFIX } from '@raftkit/kv-service'

function mac(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url').slice(0, 22)
}

/** A fresh id stamped `stamp` (default: now). */
export function issueSessionId(secret: string, stamp = Date.now()): string {
  const body = `${Math.floor(stamp).toString(36)}.${randomBytes(12).toString('base64url')}`
  return `${ISSUED_ID_PREFIX}${body}.${mac(secret, body)}`
}

/** The stamp of an id this cluster issued, or undefined (not issued here, or altered). */
export function sessionStamp(secret: string, id: string): number | undefined {
  if (!id.startsWith(ISSUED_ID_PREFIX)) return undefined
  const rest = id.slice(ISSUED_ID_PREFIX.length)
  const cut = rest.lastIndexOf('.')
  if (cut < 0) return undefined
  const body = rest.slice(0, cut)
  const got = Buffer.from(rest.slice(cut + 1))
  const want = Buffer.from(mac(secret, body))
  if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined
  const m = /^([0-9a-z]{1,11})\.[A-Za-z0-9_-]{16}$/.exec(body)
  if (!m) return undefined
  const stamp = parseInt(m[1] as string, 36)
  return Number.isSafeInteger(stamp) ? stamp : undefined
}

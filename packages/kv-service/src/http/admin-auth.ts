/**
 * The admin endpoints' one check (faults.ts, members.ts, backup.ts): the cluster secret in the
 * Raftkit-Secret header, compared in constant time. A failure is answered 401 and logged as a
 * warning, at most 10 a minute (RateLimitedLog: a client must not fill the logs).
 */
import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Logger } from '@raftkit/raft-core'
import { HttpError } from './io.js'
import { RateLimitedLog } from './limits.js'
import { SECRET_HEADER } from './protocol.js'

export class AdminAuth {
  private readonly failed: RateLimitedLog

  constructor(
    private readonly secret: string,
    logger: Logger,
  ) {
    this.failed = new RateLimitedLog(logger, 'warn')
  }

  /** Returns when `req` carries the secret; else logs and throws HttpError UNAUTHORIZED. */
  check(req: IncomingMessage): void {
    const given = req.headers[SECRET_HEADER]
    if (typeof given === 'string' && sameSecret(given, this.secret)) return
    this.failed.log('admin authentication failed', {
      remote: req.socket.remoteAddress,
      secretGiven: typeof given === 'string',
    })
    throw new HttpError('UNAUTHORIZED', `missing or wrong ${SECRET_HEADER} header`)
  }
}

function sameSecret(given: string, secret: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(secret)
  return a.length === b.length && timingSafeEqual(a, b)
}

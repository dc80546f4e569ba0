/**
 * How the HTTP API (server.ts) finishes a request: a handler's failure becomes its HTTP answer
 * (a request the client abandoned gets none; client trouble is logged at debug, rate-limited,
 * server trouble at warn or error), and every request is counted in the metrics once its answer
 * is complete. Plain functions: no object or closure per request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from '@raftkit/raft-core'
import { ClientGone, HttpError, sendError } from './io.js'
import type { RateLimitedLog } from './limits.js'
import type { NodeMetrics } from './metrics.js'
import { pathOf } from './request.js'

/** The request kinds the metrics count by. */
export type Op =
  | 'get'
  | 'put'
  | 'append'
  | 'session'
  | 'status'
  | 'metrics'
  | 'faults'
  | 'members'
  | 'backup'
  | 'other'

/** Where answerFailure logs and counts (one per server, made once). */
export interface FailureSinks {
  readonly metrics: NodeMetrics
  /** Client misbehaviour (aborts, bad HTTP, refused connections): debug, rate-limited. */
  readonly clientTrouble: RateLimitedLog
  readonly logger: Logger
}

/**
 * Counts a request once its answer is complete: at once when the handler has ended the
 * response (the common case, without a 'finish' listener per request), else when it finishes.
 */
export function observe(metrics: NodeMetrics, op: Op, res: ServerResponse, started: number): void {
  if (!res.writableEnded) {
    res.once('finish', () => observe(metrics, op, res, started))
    return
  }
  metrics.observe(op, res.statusCode, (performance.now() - started) / 1000)
}

/** Answers a handler's failure (a request the client abandoned gets none) and counts it. */
export function answerFailure(
  sinks: FailureSinks,
  req: IncomingMessage,
  res: ServerResponse,
  e: unknown,
  op: Op,
  started: number,
): void {
  if (e instanceof ClientGone) {
    sinks.clientTrouble.log('request aborted by the client', {
      path: pathOf(req),
      error: e.message,
    })
    res.destroy()
    return
  }
  if (e instanceof HttpError) {
    if (e.code === 'BUSY' || e.code === 'REQUEST_TIMEOUT')
      sinks.clientTrouble.log('request refused', { path: pathOf(req), error: e.message })
    else if (e.status >= 500)
      sinks.logger.warn('request failed', { path: pathOf(req), error: e.message })
    sendError(res, e)
  } else {
    sinks.logger.error('request handler failed', { path: req.url, error: String(e) })
    sendError(res, new HttpError('INTERNAL', 'internal error; see the server log'))
  }
  observe(sinks.metrics, op, res, started)
}

/** Structured logs for the CLI: pino, one JSON line per record on stderr. */
import type { Logger, LogFields } from '@raftkit/raft-core'
import { pino } from 'pino'
import type { ServiceLogLevel } from '../config/cluster-config.js'

/** A raft-core Logger backed by pino, writing synchronously to stderr (nothing lost on exit). */
export function createPinoLogger(level: ServiceLogLevel, bindings: LogFields = {}): Logger {
  const log = pino(
    { level, base: { pid: process.pid, ...bindings } },
    pino.destination({ fd: 2, sync: true }),
  )
  return {
    debug: (msg, fields) => log.debug(fields ?? {}, msg),
    info: (msg, fields) => log.info(fields ?? {}, msg),
    warn: (msg, fields) => log.warn(fields ?? {}, msg),
    error: (msg, fields) => log.error(fields ?? {}, msg),
  }
}

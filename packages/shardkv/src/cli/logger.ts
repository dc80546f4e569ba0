/** Structured logs of `raftkit serve` for a sharded node: one JSON line per record on stderr. */
import { writeSync } from 'node:fs'
import type { LogFields, Logger } from '@raftkit/raft-core'

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const
export type LogLevel = (typeof LEVELS)[number]

export function isLogLevel(v: unknown): v is LogLevel {
  return LEVELS.includes(v as LogLevel)
}

/** Writes synchronously (nothing lost on exit) the records at or above `level`. */
export function stderrLogger(level: LogLevel, bindings: LogFields = {}): Logger {
  const min = LEVELS.indexOf(level)
  const at =
    (name: LogLevel) =>
    (msg: string, fields?: LogFields): void => {
      if (LEVELS.indexOf(name) < min) return
      const line = JSON.stringify({
        level: name,
        time: Date.now(),
        pid: process.pid,
        ...bindings,
        ...fields,
        msg,
      })
      writeSync(2, line + '\n')
    }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

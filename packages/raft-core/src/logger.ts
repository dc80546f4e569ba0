export type LogFields = Record<string, unknown>

export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
}

const noop = (): void => undefined

export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop }

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }

/** A logger that writes one JSON line per record to stderr at or above `level`. */
export function consoleLogger(level: LogLevel = 'info', bindings: LogFields = {}): Logger {
  const min = LEVELS[level]
  const at =
    (name: Exclude<LogLevel, 'silent'>) =>
    (msg: string, fields?: LogFields): void => {
      if (LEVELS[name] < min) return
      process.stderr.write(JSON.stringify({ level: name, msg, ...bindings, ...fields }) + '\n')
    }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

/** A logger that keeps records in memory (tests assert on warnings with it). */
export class MemoryLogger implements Logger {
  readonly records: Array<{ level: string; msg: string; fields?: LogFields }> = []
  debug(msg: string, fields?: LogFields): void {
    this.records.push({ level: 'debug', msg, ...(fields ? { fields } : {}) })
  }
  info(msg: string, fields?: LogFields): void {
    this.records.push({ level: 'info', msg, ...(fields ? { fields } : {}) })
  }
  warn(msg: string, fields?: LogFields): void {
    this.records.push({ level: 'warn', msg, ...(fields ? { fields } : {}) })
  }
  error(msg: string, fields?: LogFields): void {
    this.records.push({ level: 'error', msg, ...(fields ? { fields } : {}) })
  }
}

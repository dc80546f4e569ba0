/**
 * What every `raftkit` command (commands.ts and its command modules) shares: the process it
 * talks to (Io) and the parsing of its flags. Bad usage throws UsageError, which runCli answers
 * with the usage text and exit code 2; a bad flag value throws KvConfigError (also exit code 2).
 */
import { parseArgs } from 'node:util'
import type { ServiceLogLevel } from '../config/cluster-config.js'
import { LOG_LEVELS } from '../config/cluster-config.js'
import { KvConfigError } from '../errors.js'

export interface Io {
  readonly out: (text: string) => void
  readonly err: (text: string) => void
  /** Resolves when the user asks to stop (SIGINT/SIGTERM). */
  readonly interrupted: Promise<void>
}

export class UsageError extends Error {}

export type Values = Record<string, string | boolean | string[] | undefined>

/**
 * Parses `argv` strictly: an unknown flag or a flag without its value is a UsageError.
 * `positionals`: how many arguments the command takes, or `'any'` for a command that checks
 * its arguments itself (`member add ID`, `member list`).
 */
export function parse(
  argv: readonly string[],
  options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>,
  positionals: number | 'any',
): { values: Values; positionals: string[] } {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      options,
      allowPositionals: positionals === 'any' || positionals > 0,
      strict: true,
    })
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
  if (positionals !== 'any' && parsed.positionals.length !== positionals)
    throw new UsageError(
      `expected ${positionals} argument${positionals === 1 ? '' : 's'}, got ${parsed.positionals.length}`,
    )
  return { values: parsed.values as Values, positionals: parsed.positionals }
}

export function required(values: Values, name: string): string {
  const v = values[name]
  if (typeof v !== 'string' || v.length === 0) throw new UsageError(`--${name} is required`)
  return v
}

export function intFlag(values: Values, name: string, fallback?: number): number {
  const v = values[name]
  if (v === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`)
    return fallback
  }
  const n = Number(v)
  if (typeof v !== 'string' || !/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1)
    throw new KvConfigError(`--${name}`, `expected a positive integer, got ${JSON.stringify(v)}`)
  return n
}

export function logLevel(values: Values, fallback: ServiceLogLevel): ServiceLogLevel {
  const v = values['log-level']
  if (v === undefined) return fallback
  if (!LOG_LEVELS.includes(v as ServiceLogLevel))
    throw new KvConfigError('--log-level', `expected one of ${LOG_LEVELS.join(', ')}`)
  return v as ServiceLogLevel
}

/** Command-line parsing helpers of the sharded CLI (node:util parseArgs, typed usage errors). */
import { parseArgs } from 'node:util'
import { KvConfigError } from '@raftkit/kv-service'

/** Bad usage: the command prints the usage and exits 2. */
export class ShardUsageError extends Error {
  override readonly name = 'ShardUsageError'
}

export type Values = Record<string, string | boolean | string[] | undefined>

export function parse(
  argv: readonly string[],
  options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>,
  positionals: { min: number; max: number },
): { values: Values; positionals: string[] } {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: positionals.max > 0 })
  } catch (e) {
    throw new ShardUsageError((e as Error).message)
  }
  const n = parsed.positionals.length
  if (n < positionals.min || n > positionals.max)
    throw new ShardUsageError(
      positionals.min === positionals.max
        ? `expected ${positionals.min} argument(s), got ${n}`
        : `expected ${positionals.min} to ${positionals.max} arguments, got ${n}`,
    )
  return { values: parsed.values as Values, positionals: parsed.positionals }
}

export function required(values: Values, name: string): string {
  const v = values[name]
  if (typeof v !== 'string' || v.length === 0) throw new ShardUsageError(`--${name} is required`)
  return v
}

/** A non-negative integer argument or flag (`what` names it in the error). */
export function integer(what: string, v: unknown, min = 0): number {
  const n = Number(v)
  if (typeof v !== 'string' || !/^\d{1,15}$/.test(v) || !Number.isSafeInteger(n) || n < min)
    throw new KvConfigError(
      what,
      `expected an integer of at least ${min}, got ${JSON.stringify(v)}`,
    )
  return n
}

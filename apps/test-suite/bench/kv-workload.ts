/**
 * The key/value workload the load benchmarks share (`kv-throughput.ts`, `cluster-ws.ts`):
 * 16-byte keys, 128-byte values, and the checks on their common flags.
 */
import { randomUUID } from 'node:crypto'

export const KEY_BYTES = 16
export const VALUE_BYTES = 128

/** The i-th key: 16 bytes, "k" and i zero-padded. */
export function key(i: number): string {
  return `k${String(i).padStart(KEY_BYTES - 1, '0')}`
}

export const value = 'v'.repeat(VALUE_BYTES)

export interface LoadFlags {
  readonly seconds: number
  /** Concurrency levels, in order. */
  readonly levels: readonly number[]
  readonly keyCount: number
}

/** Parses --seconds, --concurrency (a comma list) and --keys; RangeError when one is bad. */
export function loadFlags(values: {
  readonly seconds: string
  readonly concurrency: string
  readonly keys: string
}): LoadFlags {
  const seconds = Number(values.seconds)
  const levels = values.concurrency.split(',').map(Number)
  const keyCount = Number(values.keys)
  if (!(seconds > 0) || levels.some((n) => !(Number.isInteger(n) && n > 0)) || !(keyCount > 0))
    throw new RangeError('--seconds > 0, --concurrency a list of positive integers, --keys > 0')
  return { seconds, levels, keyCount }
}

/**
 * Session ids for the clients of one benchmark run, never repeated. A KvClient that took an
 * earlier client's id would count its sequence numbers from 1 again, and the servers would
 * answer those requests from the at-most-once table without running them (to them, retries):
 * fast answers that are not writes. Each id is handed out once; the prefix keeps runs apart.
 */
export class ClientIds {
  private readonly prefix = `bench-${randomUUID().slice(0, 8)}-`
  private issued = 0

  /** A new id (and, from the same counter, a seed for that client's random generator). */
  next(): { readonly clientId: string; readonly seed: number } {
    this.issued++
    return { clientId: `${this.prefix}${this.issued}`, seed: this.issued }
  }
}

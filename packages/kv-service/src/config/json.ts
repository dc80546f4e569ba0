/** Small validators for the cluster file: each failure is a KvConfigError naming the field. */
import { KvConfigError } from '../errors.js'

export type Json = Record<string, unknown>

export function fail(field: string, message: string): never {
  throw new KvConfigError(field, message)
}

export function show(v: unknown): string {
  if (v === undefined) return 'nothing'
  try {
    return JSON.stringify(v) ?? typeof v
  } catch {
    return typeof v
  }
}

export function object(field: string, v: unknown): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    fail(field, `expected an object, got ${show(v)}`)
  return v as Json
}

export function onlyKnown(field: string, o: Json, known: readonly string[]): void {
  for (const key of Object.keys(o))
    if (!known.includes(key))
      fail(field ? `${field}.${key}` : key, `is not a known setting (known: ${known.join(', ')})`)
}

export function int(field: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
    fail(
      field,
      `expected an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`}, got ${show(v)}`,
    )
  return v
}

export function num(field: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min)
    fail(field, `expected a number >= ${min}, got ${show(v)}`)
  return v
}

/**
 * Commands as the harness sees them: plain JS values (numbers, strings) encoded with the
 * raft-core codec on the way in and decoded on the way out, so checks compare values rather
 * than bytes. A noop entry is recorded as the NOOP marker so it takes part in the
 * cross-server comparison like any other entry.
 */
import { packValue, unpackValue } from '@raftkit/raft-core'

/** What a server applied at one index: a decoded command, or the noop marker. */
export type Applied = unknown

/** Marker recorded for a noop entry (never a valid command: commands are numbers or strings). */
export const NOOP: unique symbol = Symbol('noop')

export function encodeCommand(value: unknown): Uint8Array {
  return packValue(value)
}

export function decodeCommand(bytes: Uint8Array): unknown {
  return unpackValue(bytes)
}

/** Structural equality of two applied values (primitives directly, anything else by encoding). */
export function sameValue(a: Applied, b: Applied): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  return bytesEqual(packValue(a), packValue(b))
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

/** A short printable form of an applied value for failure messages. */
export function show(value: Applied): string {
  if (value === NOOP) return '<noop>'
  if (typeof value === 'string')
    return value.length > 24 ? `"${value.slice(0, 20)}..."(${value.length})` : `"${value}"`
  return String(value)
}

/**
 * The applierSnap snapshot format: the last included index and the commands at 0..index
 * (slot 0 and noops are null).
 */
export function encodeSnapshot(index: number, log: ReadonlyMap<number, Applied>): Uint8Array {
  const xlog: unknown[] = [null]
  for (let j = 1; j <= index; j++) {
    const v = log.get(j)
    xlog.push(v === undefined || v === NOOP ? null : v)
  }
  return packValue([index, xlog])
}

export interface DecodedSnapshot {
  readonly index: number
  readonly log: Map<number, Applied>
}

/** Decodes the applierSnap format; returns null for bytes that are not in it. */
export function decodeSnapshot(bytes: Uint8Array): DecodedSnapshot | null {
  let raw: unknown
  try {
    raw = unpackValue(bytes)
  } catch {
    return null
  }
  if (!Array.isArray(raw) || raw.length !== 2) return null
  const [index, xlog] = raw as [unknown, unknown]
  if (typeof index !== 'number' || !Array.isArray(xlog)) return null
  const log = new Map<number, Applied>()
  for (let j = 1; j < xlog.length; j++) log.set(j, xlog[j] === null ? NOOP : (xlog[j] as unknown))
  return { index, log }
}

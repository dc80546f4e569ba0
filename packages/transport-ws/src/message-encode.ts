/**
 * A fast path for encoding the Raft messages this node sends (issue 15: each send on a 1-client
 * write runs once per ~0.8 ms on cold caches, where msgpackr's general packer costs ~10 µs). It
 * writes the same bytes as raft-core's encodeMessage (msgpackr with useRecords false: every
 * object a map16 of its own enumerable keys in property order, strings as fixstr/str8,
 * integers below 2^32 in their smallest unsigned form, booleans, arrays, Uint8Arrays as bin)
 * for the values Raft messages hold. Anything else — a non-ASCII or long string, a negative,
 * fractional or large number, undefined, null, another class — returns undefined and the
 * caller takes encodeMessage. test/peer-codec.spec.ts checks the bytes against msgpackr's
 * (message-encode-rules.spec.ts: the edge cases).
 */

/**
 * Messages are written one after another into a shared slab (as msgpackr does) and handed out
 * as views of it; a message that does not fit is written again into a new slab. A view stays
 * valid: bytes once handed out are never written again.
 */
const SLAB_BYTES = 8 * 1024
let slab: Buffer = Buffer.allocUnsafe(SLAB_BYTES)
let at = 0

/** Writes `v` at `at` (bytes past the slab's end are counted, not written); false if odd. */
function write(v: unknown): boolean {
  const b = slab
  switch (typeof v) {
    case 'string': {
      const n = v.length
      if (n < 0x20) b[at++] = 0xa0 | n
      else if (n <= 0xff) {
        b[at++] = 0xd9
        b[at++] = n
      } else return false
      for (let i = 0; i < n; i++) {
        const c = v.charCodeAt(i)
        if (c >= 0x80) return false
        b[at++] = c
      }
      return true
    }
    case 'number':
      if (v >>> 0 !== v) return false
      if (v < 0x80) b[at++] = v
      else if (v < 0x100) {
        b[at++] = 0xcc
        b[at++] = v
      } else if (v < 0x10000) {
        b[at++] = 0xcd
        be16(b, v)
      } else {
        b[at++] = 0xce
        be32(b, v)
      }
      return true
    case 'boolean':
      b[at++] = v ? 0xc3 : 0xc2
      return true
    case 'object': {
      if (v === null) return false
      const c = v.constructor
      if (c === Object) {
        // msgpackr (without variableMapSize) always writes a map16.
        b[at] = 0xde
        const countAt = at + 1
        at += 3
        let keys = 0
        for (const k in v) {
          if (!Object.hasOwn(v, k)) continue
          if (!write(k) || !write((v as Record<string, unknown>)[k])) return false
          keys++
        }
        if (keys > 0xffff) return false
        b[countAt] = keys >>> 8
        b[countAt + 1] = keys & 0xff
        return true
      }
      if (c === Array) {
        const a = v as unknown[]
        const n = a.length
        if (n < 0x10) b[at++] = 0x90 | n
        else if (n <= 0xffff) {
          b[at++] = 0xdc
          be16(b, n)
        } else return false
        for (let i = 0; i < n; i++) if (!write(a[i])) return false
        return true
      }
      if (c === Uint8Array || c === Buffer) {
        const d = v as Uint8Array
        const n = d.byteLength
        if (n < 0x100) {
          b[at++] = 0xc4
          b[at++] = n
        } else if (n < 0x10000) {
          b[at++] = 0xc5
          be16(b, n)
        } else {
          b[at++] = 0xc6
          be32(b, n)
        }
        if (at + n <= b.length) b.set(d, at)
        at += n
        return true
      }
      return false
    }
    case 'undefined':
    case 'bigint':
    case 'symbol':
    case 'function':
      return false
  }
}

/** Writes `n` (below 2^16) big-endian at `at`. */
function be16(b: Buffer, n: number): void {
  b[at++] = n >>> 8
  b[at++] = n & 0xff
}

/** Writes `n` (below 2^32) big-endian at `at`. */
function be32(b: Buffer, n: number): void {
  b[at++] = n >>> 24
  b[at++] = (n >>> 16) & 0xff
  b[at++] = (n >>> 8) & 0xff
  b[at++] = n & 0xff
}

/**
 * The bytes encodeMessage would give `message` (a view of a slab no later message writes to),
 * or undefined when it holds a value outside the fast path (see above).
 */
export function encodeFast(message: object): Uint8Array | undefined {
  const start = at
  if (!write(message)) {
    at = start
    return undefined
  }
  if (at > slab.length) {
    // It did not fit: write it again at the start of a slab that holds it.
    const size = at - start
    slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, size))
    at = 0
    write(message)
    return slab.subarray(0, size)
  }
  return slab.subarray(start, at)
}

/**
 * CRC32C of a byte range, without a view per call: recovery checks two checksums per record
 * (record.ts), hundreds of thousands of records per segment, and a `subarray` per checksum was a
 * visible share of a replay's allocations. Slice-by-8 over the Castagnoli polynomial; equal to
 * crc-32's `CRC32C.buf` of the same bytes (test/crc32c.spec.ts).
 */

/** Eight 256-entry tables: TABLES[k * 256 + b] is the CRC of byte b followed by k zero bytes. */
const TABLES = new Int32Array(8 * 256)
for (let n = 0; n < 256; n++) {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1
  TABLES[n] = c
}
for (let n = 0; n < 256; n++) {
  let v = TABLES[n] as number
  for (let k = 1; k < 8; k++) {
    v = (v >>> 8) ^ (TABLES[v & 0xff] as number)
    TABLES[k * 256 + n] = v
  }
}

/** CRC32C (unsigned) of `buf[start, end)`. */
export function crc32cRange(buf: Uint8Array, start: number, end: number): number {
  const t = TABLES
  let c = -1
  let i = start
  for (const last = end - 8; i <= last; i += 8) {
    c ^=
      (buf[i] as number) |
      ((buf[i + 1] as number) << 8) |
      ((buf[i + 2] as number) << 16) |
      ((buf[i + 3] as number) << 24)
    const hi =
      (buf[i + 4] as number) |
      ((buf[i + 5] as number) << 8) |
      ((buf[i + 6] as number) << 16) |
      ((buf[i + 7] as number) << 24)
    c =
      (t[1792 + (c & 0xff)] as number) ^
      (t[1536 + ((c >>> 8) & 0xff)] as number) ^
      (t[1280 + ((c >>> 16) & 0xff)] as number) ^
      (t[1024 + (c >>> 24)] as number) ^
      (t[768 + (hi & 0xff)] as number) ^
      (t[512 + ((hi >>> 8) & 0xff)] as number) ^
      (t[256 + ((hi >>> 16) & 0xff)] as number) ^
      (t[hi >>> 24] as number)
  }
  for (; i < end; i++) c = (c >>> 8) ^ (t[(c ^ (buf[i] as number)) & 0xff] as number)
  return ~c >>> 0
}

import type { RawData } from 'ws'

/** The bytes of one received ws frame, whatever shape the library handed them in. */
export function frameBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return data
}

/** A close-frame reason: the protocol allows at most 123 bytes of UTF-8. */
export function closeReason(text: string): string {
  let out = text
  while (Buffer.byteLength(out, 'utf8') > 123) out = out.slice(0, -1)
  return out
}

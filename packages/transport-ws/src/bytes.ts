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

/**
 * Raises the largest frame one connection accepts, once it has authenticated. `ws` takes
 * `maxPayload` per server, checks it against each frame's header before buffering the payload,
 * and keeps it in the connection's receiver; there is no public setter, so this writes that
 * field. Returns false (and changes nothing) if the receiver is not shaped as expected — the
 * caller then refuses the connection rather than run with the wrong limit.
 */
export function setFrameLimit(ws: object, bytes: number): boolean {
  const receiver = (ws as { _receiver?: { _maxPayload?: unknown } })._receiver
  if (typeof receiver !== 'object' || receiver === null) return false
  if (typeof receiver._maxPayload !== 'number') return false
  receiver._maxPayload = bytes
  return true
}

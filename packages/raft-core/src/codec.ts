/**
 * Binary encoding of wire messages (msgpack via msgpackr). Used by transport-ws on the wire
 * and by transport-memory to copy messages and count bytes.
 */
import { Packr } from 'msgpackr'
import type { Message } from './messages.js'
import { validateMessage } from './messages.js'
import { MalformedMessageError } from './errors.js'

const packr = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false })

export function encodeMessage(message: Message): Uint8Array {
  return packr.pack(message)
}

/** Decodes and validates; throws MalformedMessageError for anything that is not a Message. */
export function decodeMessage(bytes: Uint8Array): Message {
  let raw: unknown
  try {
    raw = packr.unpack(bytes)
  } catch (e) {
    throw new MalformedMessageError(`not valid msgpack (${(e as Error).message})`)
  }
  return validateMessage(raw)
}

/** Generic msgpack helpers for services (e.g. kv-service commands and snapshots). */
export function packValue(value: unknown): Uint8Array {
  return packr.pack(value)
}
export function unpackValue(bytes: Uint8Array): unknown {
  return packr.unpack(bytes)
}

/**
 * Configuration entries on the wire and on disk: the data of an entry of kind `config` is the
 * whole configuration it installs (not a delta), msgpack-encoded, so any node can read the
 * configuration from the entry alone.
 */
import { packValue, unpackValue } from './codec.js'
import { ConfigError } from './errors.js'
import { validateMembership } from './membership.js'
import type { Membership } from './types.js'

export function encodeMembership(m: Membership): Uint8Array {
  return packValue({ voters: [...m.voters], learners: [...m.learners], outgoing: [...m.outgoing] })
}

/** Decodes and validates; throws ConfigError for bytes that are not a configuration. */
export function decodeMembership(data: Uint8Array): Membership {
  let raw: unknown
  try {
    raw = unpackValue(data)
  } catch (error) {
    throw new ConfigError('membership', `not valid msgpack (${(error as Error).message})`)
  }
  return validateMembership(raw)
}

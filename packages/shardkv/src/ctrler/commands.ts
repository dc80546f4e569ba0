/**
 * The controller's log commands and client requests, and their validation. Everything that
 * arrives over the network or from the log is checked field by field: a malformed request is
 * answered BAD_REQUEST, a malformed entry is skipped by every replica alike.
 */
import { packValue, unpackValue } from '@raftkit/raft-core'
import type { Gid, ShardConfig } from '../common.js'
import { NSHARDS, isGid } from '../common.js'

export type CtrlerCommand =
  | {
      readonly op: 'join'
      readonly groups: ReadonlyArray<readonly [Gid, readonly string[]]>
      readonly clientId: string
      readonly seq: number
      /** The session's issue stamp (state-machine.ts: expiry); absent in older entries. */
      readonly since?: number
    }
  | {
      readonly op: 'leave'
      readonly gids: readonly Gid[]
      readonly clientId: string
      readonly seq: number
      readonly since?: number
    }
  | {
      readonly op: 'move'
      readonly shard: number
      readonly gid: Gid
      readonly clientId: string
      readonly seq: number
      readonly since?: number
    }
  | { readonly op: 'query'; readonly num: number }

/** A client request is a command (the server proposes it as it is). */
export type CtrlerRequest = CtrlerCommand

export type CtrlerReply =
  | { readonly ok: true; readonly config: ShardConfig | null }
  | { readonly ok: false; readonly error: 'WRONG_LEADER' | 'TIMEOUT' | 'STOPPED' }
  | {
      readonly ok: false
      readonly error: 'BAD_REQUEST' | 'CONFLICT' | 'UNKNOWN_GROUP' | 'SESSION_EXPIRED'
      readonly message: string
    }

export class BadCtrlerRequest extends Error {
  override readonly name = 'BadCtrlerRequest'
}

function fail(msg: string): never {
  throw new BadCtrlerRequest(msg)
}

function session(o: Record<string, unknown>): { clientId: string; seq: number; since?: number } {
  const { clientId, seq, since } = o
  if (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > 256)
    fail('clientId must be a non-empty string of at most 256 characters')
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1)
    fail('seq must be a positive integer')
  if (since === undefined) return { clientId, seq }
  if (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0)
    fail('since must be a non-negative integer')
  return { clientId, seq, since }
}

/** Validates a request or a decoded log entry. Throws BadCtrlerRequest. */
export function validateCtrlerCommand(raw: unknown): CtrlerCommand {
  if (typeof raw !== 'object' || raw === null) fail('not an object')
  const o = raw as Record<string, unknown>
  switch (o.op) {
    case 'query': {
      const num = o.num
      if (typeof num !== 'number' || !Number.isSafeInteger(num) || num < -1)
        fail('num must be an integer >= -1')
      return { op: 'query', num }
    }
    case 'join': {
      const g = o.groups
      if (!Array.isArray(g) || g.length === 0 || g.length > 1000)
        fail('groups must be a non-empty array of [gid, servers]')
      const groups: Array<readonly [Gid, readonly string[]]> = []
      const seen = new Set<Gid>()
      for (const item of g) {
        if (!Array.isArray(item) || item.length !== 2) fail('each group must be [gid, servers]')
        const [gid, servers] = item as [unknown, unknown]
        if (!isGid(gid)) fail('a gid must be a positive integer')
        if (seen.has(gid)) fail(`gid ${gid} appears twice`)
        seen.add(gid)
        if (!Array.isArray(servers) || servers.length === 0 || servers.length > 100)
          fail(`servers of gid ${gid} must be a non-empty array`)
        for (const s of servers)
          if (typeof s !== 'string' || s.length === 0 || s.length > 256)
            fail('a server name must be a non-empty string of at most 256 characters')
        groups.push([gid, [...(servers as string[])]])
      }
      groups.sort((a, b) => a[0] - b[0])
      return { op: 'join', groups, ...session(o) }
    }
    case 'leave': {
      const gids = o.gids
      if (!Array.isArray(gids) || gids.length === 0 || gids.length > 1000)
        fail('gids must be a non-empty array')
      for (const gid of gids) if (!isGid(gid)) fail('a gid must be a positive integer')
      const sorted = [...new Set(gids as Gid[])].sort((a, b) => a - b)
      return { op: 'leave', gids: sorted, ...session(o) }
    }
    case 'move': {
      const { shard, gid } = o
      if (
        typeof shard !== 'number' ||
        !Number.isSafeInteger(shard) ||
        shard < 0 ||
        shard >= NSHARDS
      )
        fail(`shard must be an integer in [0, ${NSHARDS})`)
      if (!isGid(gid)) fail('gid must be a positive integer')
      return { op: 'move', shard, gid, ...session(o) }
    }
    default:
      fail(`unknown op ${String(o.op)}`)
  }
}

export function encodeCtrlerCommand(cmd: CtrlerCommand): Uint8Array {
  return packValue(cmd)
}

export function decodeCtrlerCommand(bytes: Uint8Array): CtrlerCommand {
  return validateCtrlerCommand(unpackValue(bytes))
}

/** What a session remembers to tell a retry from a different request: op and arguments. */
export function ctrlerDigestInput(cmd: Exclude<CtrlerCommand, { op: 'query' }>): {
  op: 'put'
  key: string
  value: string
} {
  const args =
    cmd.op === 'join'
      ? JSON.stringify(cmd.groups)
      : cmd.op === 'leave'
        ? JSON.stringify(cmd.gids)
        : JSON.stringify([cmd.shard, cmd.gid])
  return { op: 'put', key: `ctrler:${cmd.op}`, value: args }
}

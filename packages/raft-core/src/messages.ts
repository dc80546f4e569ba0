/**
 * The wire protocol: every message that travels between Raft nodes. This file is the only
 * place wire types live. Replies are separate one-way messages (etcd style): a transport is
 * fire-and-forget, and a lost message simply means the sender's timers fire.
 */
import type { Entry, Index, Membership, NodeId, Term } from './types.js'
import { MalformedMessageError } from './errors.js'
import { validateMembership } from './membership.js'

interface Envelope {
  readonly from: NodeId
  readonly to: NodeId
  /** Sender's current term (for a pre-vote request: the term it would campaign in). */
  readonly term: Term
}

/** RequestVote RPC (Figure 2). With `preVote` it is the pre-vote probe (thesis §9.6). */
export interface RequestVote extends Envelope {
  readonly type: 'RequestVote'
  readonly lastLogIndex: Index
  readonly lastLogTerm: Term
  readonly preVote: boolean
  /**
   * Sent by a candidate that a leader asked to take over (TimeoutNow): voters grant it even if
   * they heard from that leader within the election timeout (thesis §3.10).
   */
  readonly transfer?: boolean
}

export interface RequestVoteReply extends Envelope {
  readonly type: 'RequestVoteReply'
  readonly granted: boolean
  readonly preVote: boolean
}

/** AppendEntries RPC (Figure 2). A heartbeat is an AppendEntries with no entries. */
export interface AppendEntries extends Envelope {
  readonly type: 'AppendEntries'
  readonly prevLogIndex: Index
  readonly prevLogTerm: Term
  readonly entries: readonly Entry[]
  readonly leaderCommit: Index
  /** ReadIndex round id, echoed in the reply: a fresh id per heartbeat round. */
  readonly readContext?: number
}

export interface AppendEntriesReply extends Envelope {
  readonly type: 'AppendEntriesReply'
  readonly success: boolean
  /** On success: the index of the last entry the follower now matches. */
  readonly matchIndex: Index
  /** On reject (fast back-up, §5.3): first index of the conflicting term, or follower's lastIndex+1. */
  readonly conflictIndex?: Index
  /** On reject: the follower's term at prevLogIndex, if it has an entry there. */
  readonly conflictTerm?: Term
  readonly readContext?: number
}

/** InstallSnapshot RPC (Figure 13), sent in chunks with byte offsets. */
export interface InstallSnapshot extends Envelope {
  readonly type: 'InstallSnapshot'
  readonly lastIncludedIndex: Index
  readonly lastIncludedTerm: Term
  /** Byte offset of `data` within the whole snapshot. */
  readonly offset: number
  readonly data: Uint8Array
  /** Total size in bytes of the snapshot. */
  readonly totalBytes: number
  /** True on the last chunk. */
  readonly done: boolean
  /** The configuration in effect at lastIncludedIndex (absent for pre-membership snapshots). */
  readonly membership?: Membership
}

export interface InstallSnapshotReply extends Envelope {
  readonly type: 'InstallSnapshotReply'
  readonly lastIncludedIndex: Index
  /** Bytes of this snapshot the follower holds so far (the next offset it expects). */
  readonly nextOffset: number
  /** True once the follower has installed the whole snapshot. */
  readonly done: boolean
}

/**
 * Leadership transfer (thesis §3.10): the leader tells an up-to-date voter to start an election
 * now, without waiting for its election timeout and without a pre-vote.
 */
export interface TimeoutNow extends Envelope {
  readonly type: 'TimeoutNow'
}

export type Message =
  | TimeoutNow
  | RequestVote
  | RequestVoteReply
  | AppendEntries
  | AppendEntriesReply
  | InstallSnapshot
  | InstallSnapshotReply

export type MessageType = Message['type']

/** Requests count as RPCs in network statistics; replies do not. */
export const REQUEST_TYPES: ReadonlySet<MessageType> = new Set<MessageType>([
  'TimeoutNow',
  'RequestVote',
  'AppendEntries',
  'InstallSnapshot',
])

export function isRequest(message: Message): boolean {
  return REQUEST_TYPES.has(message.type)
}

// ---------------------------------------------------------------------------------------------
// Validation: anything that arrives from the outside goes through validateMessage first.

type Obj = Record<string, unknown>

function fail(reason: string): never {
  throw new MalformedMessageError(reason)
}
function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}
function need(o: Obj, key: string, check: (v: unknown) => boolean, what: string): void {
  if (!check(o[key])) fail(`field "${key}" must be ${what}, got ${describe(o[key])}`)
}
function describe(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (v instanceof Uint8Array) return `${v.byteLength} bytes`
  try {
    return JSON.stringify(v)?.slice(0, 60) ?? typeof v
  } catch {
    return typeof v
  }
}
const isStr = (v: unknown): boolean => typeof v === 'string' && v.length > 0
const isBool = (v: unknown): boolean => typeof v === 'boolean'
const isBytes = (v: unknown): boolean => v instanceof Uint8Array
const isOptIndex = (v: unknown): boolean => v === undefined || isIndex(v)
const isOptBool = (v: unknown): boolean => v === undefined || isBool(v)

/** Checks entries[i], which must hold index `index`. */
function validateEntry(e: unknown, i: number, index: number): void {
  if (typeof e !== 'object' || e === null) fail(`entries[${i}] is not an object`)
  const o = e as Obj
  if (!isIndex(o['index']) || o['index'] < 1) fail(`entries[${i}].index must be >= 1`)
  if (o['index'] !== index) fail(`entries[${i}].index must be ${index}`)
  if (!isIndex(o['term'])) fail(`entries[${i}].term must be a non-negative integer`)
  if (o['kind'] !== 'command' && o['kind'] !== 'noop' && o['kind'] !== 'config')
    fail(`entries[${i}].kind is unknown`)
  if (!isBytes(o['data'])) fail(`entries[${i}].data must be bytes`)
}

/**
 * Checks that `raw` is a well-formed Message and returns it typed. Throws
 * MalformedMessageError naming the first bad field. It does not check that `from`/`to` are
 * members of the cluster: the core does that (it knows the peers).
 */
export function validateMessage(raw: unknown): Message {
  if (typeof raw !== 'object' || raw === null) fail('message is not an object')
  const o = raw as Obj
  need(o, 'from', isStr, 'a node id')
  need(o, 'to', isStr, 'a node id')
  need(o, 'term', isIndex, 'a non-negative integer')
  switch (o['type']) {
    case 'RequestVote':
      need(o, 'lastLogIndex', isIndex, 'a non-negative integer')
      need(o, 'lastLogTerm', isIndex, 'a non-negative integer')
      need(o, 'preVote', isBool, 'a boolean')
      need(o, 'transfer', isOptBool, 'a boolean or absent')
      break
    case 'TimeoutNow':
      break
    case 'RequestVoteReply':
      need(o, 'granted', isBool, 'a boolean')
      need(o, 'preVote', isBool, 'a boolean')
      break
    case 'AppendEntries': {
      need(o, 'prevLogIndex', isIndex, 'a non-negative integer')
      need(o, 'prevLogTerm', isIndex, 'a non-negative integer')
      need(o, 'leaderCommit', isIndex, 'a non-negative integer')
      need(o, 'readContext', isOptIndex, 'a non-negative integer or absent')
      const entries = o['entries']
      if (!Array.isArray(entries)) fail('field "entries" must be an array')
      const prev = o['prevLogIndex'] as number
      for (let i = 0; i < entries.length; i++) validateEntry(entries[i], i, prev + 1 + i)
      break
    }
    case 'AppendEntriesReply':
      need(o, 'success', isBool, 'a boolean')
      need(o, 'matchIndex', isIndex, 'a non-negative integer')
      need(o, 'conflictIndex', isOptIndex, 'a non-negative integer or absent')
      need(o, 'conflictTerm', isOptIndex, 'a non-negative integer or absent')
      need(o, 'readContext', isOptIndex, 'a non-negative integer or absent')
      break
    case 'InstallSnapshot':
      need(o, 'lastIncludedIndex', isIndex, 'a non-negative integer')
      need(o, 'lastIncludedTerm', isIndex, 'a non-negative integer')
      need(o, 'offset', isIndex, 'a non-negative integer')
      need(o, 'totalBytes', isIndex, 'a non-negative integer')
      need(o, 'data', isBytes, 'bytes')
      need(o, 'done', isBool, 'a boolean')
      if (
        (o['offset'] as number) + (o['data'] as Uint8Array).byteLength >
        (o['totalBytes'] as number)
      )
        fail('chunk extends past totalBytes')
      if (o['membership'] !== undefined) {
        try {
          validateMembership(o['membership'])
        } catch (error) {
          fail(`field "membership" is invalid: ${(error as Error).message}`)
        }
      }
      break
    case 'InstallSnapshotReply':
      need(o, 'lastIncludedIndex', isIndex, 'a non-negative integer')
      need(o, 'nextOffset', isIndex, 'a non-negative integer')
      need(o, 'done', isBool, 'a boolean')
      break
    default:
      fail(`unknown message type ${describe(o['type'])}`)
  }
  return o as unknown as Message
}

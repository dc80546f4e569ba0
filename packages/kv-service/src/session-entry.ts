/**
 * The state machine's session-table entries (state-machine.ts): a write's request digest is
 * computed when it is first needed — a retry compared with it (same seq), or a snapshot that
 * stores it — instead of by every replica for every write it applies (issue 15). Most sessions
 * move on to their next seq without the digest of the last one ever being read.
 *
 * Until then the entry keeps the write's command (its op, key and value are what the digest is
 * made from; the digest is a pure function of them, so computing it later gives the same bytes).
 * Memory bound: that is done only for key + value of at most LAZY_DIGEST_MAX_CHARS characters
 * of flat, owned strings (the decode fast path's), so a session holds at most that many
 * characters (one byte each: ASCII) besides its fields until its digest is computed or its next
 * write replaces it; larger writes get their digest at once, as before.
 */
import type { Index } from '@raftkit/raft-core'
import type { WriteCommand } from './ops.js'
import { requestDigest } from './ops.js'

/** One client's entry in the session table. */
export interface Session {
  /** Highest sequence number executed (0 right after `open`). */
  readonly seq: number
  /** Result of request `seq` (put and append return ""). */
  readonly result: string
  /** Log index of the last command of this session: drives expiry. */
  readonly lastIndex: Index
  /**
   * requestDigest of request `seq` ("" when unknown: after `open`, or restored from a
   * version-1 snapshot, which did not keep it; then a same-seq request counts as a retry).
   */
  readonly digest: string
  /**
   * 0 when request `seq` ran; otherwise it was refused because its result would have exceeded
   * this many bytes (the maxValueBytes the command carried), and a retry gets the same refusal.
   */
  readonly refusedLimit: number
}

/** Longest key + value (UTF-16 code units) whose digest is left for later. */
export const LAZY_DIGEST_MAX_CHARS = 256

type DigestSource = Pick<WriteCommand, 'op' | 'key' | 'value'>

/** A session entry after a write; `digest` is computed on first use (see the file comment). */
class WrittenSession implements Session {
  constructor(
    readonly seq: number,
    readonly result: string,
    readonly lastIndex: Index,
    readonly refusedLimit: number,
    /** The write, until its digest is computed. */
    private request: DigestSource | undefined,
    private computed: string | undefined,
  ) {}

  get digest(): string {
    if (this.computed === undefined) {
      this.computed = requestDigest(this.request as DigestSource)
      this.request = undefined
    }
    return this.computed
  }

  /** The same entry, last used at `index` (a digest not yet computed stays lazy). */
  at(index: Index): WrittenSession {
    return new WrittenSession(
      this.seq,
      this.result,
      index,
      this.refusedLimit,
      this.request,
      this.computed,
    )
  }
}

/**
 * The session entry after write `cmd` ran (or was refused) at `index`. `owned`: cmd's strings
 * are flat copies of their own (the decode fast path), which only then may be kept.
 */
export function sessionAfterWrite(
  cmd: WriteCommand,
  result: string,
  index: Index,
  refusedLimit: number,
  owned: boolean,
): Session {
  if (owned && cmd.key.length + cmd.value.length <= LAZY_DIGEST_MAX_CHARS)
    return new WrittenSession(cmd.seq, result, index, refusedLimit, cmd, undefined)
  return { seq: cmd.seq, result, lastIndex: index, digest: requestDigest(cmd), refusedLimit }
}

/** `session`, last used at `index`; a lazy digest stays lazy. */
export function sessionAt(session: Session, index: Index): Session {
  if (session instanceof WrittenSession) return session.at(index)
  return {
    seq: session.seq,
    result: session.result,
    lastIndex: index,
    digest: session.digest,
    refusedLimit: session.refusedLimit,
  }
}

import type { Index, Term } from './types.js'

/**
 * What the runtime delivers to the service, in log order, each index exactly once per
 * incarnation: committed commands (noops included, so the stream has no gaps; services skip
 * them) and snapshots installed from the leader.
 */
export type ApplyMsg =
  | {
      readonly kind: 'command'
      readonly index: Index
      readonly term: Term
      /**
       * The command's bytes: a view of the log's own copy (no copy is made for the service), so
       * read them and do not write them; copy first to change them.
       */
      readonly command: Uint8Array
    }
  | { readonly kind: 'noop'; readonly index: Index; readonly term: Term }
  | {
      readonly kind: 'snapshot'
      readonly index: Index
      readonly term: Term
      readonly snapshot: Uint8Array
    }

/** What a replicated service implements. Deterministic, no I/O. */
export interface StateMachine<R = unknown> {
  apply(command: Uint8Array, index: Index): R
  snapshot(): Uint8Array
  restore(snapshot: Uint8Array): void
}

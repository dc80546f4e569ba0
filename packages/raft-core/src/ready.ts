import type { Message } from './messages.js'
import type { Entry, HardState, Index, NodeId, Role, Snapshot } from './types.js'

export interface SoftState {
  readonly role: Role
  readonly leader: NodeId | null
}

/** A ReadIndex request that is safe to serve once the state machine has applied `index`. */
export interface ReadState {
  readonly requestId: number
  readonly index: Index
}

/**
 * What the core hands back (etcd's Ready). The driver must, in order:
 * 1. persist `snapshot`, then `entries`, then `hardState` (fsync if `mustSync`);
 * 2. only then send `messages`;
 * 3. hand `snapshot` (if any) and then `committed` to the service, in order;
 * 4. call `advance(ready)`.
 */
export interface Ready {
  /** Present when role or leader changed since the last Ready. */
  readonly softState?: SoftState
  /** Present when term, vote or commit changed. */
  readonly hardState?: HardState
  /** New entries to append (may overwrite a stored suffix from entries[0].index on). */
  readonly entries: readonly Entry[]
  /** A snapshot received from the leader, to persist and then to give to the service. */
  readonly snapshot?: Snapshot
  readonly messages: readonly Message[]
  /** Committed, durable entries to apply, in index order. */
  readonly committed: readonly Entry[]
  readonly readStates: readonly ReadState[]
  /** True when term, vote or entries changed: the write must be durable before sending. */
  readonly mustSync: boolean
}

/**
 * The call/return entries of one partition in a doubly linked list (Wing & Gong). Linearizing an
 * operation unlinks its call and return; backtracking relinks them exactly where they were
 * ("dancing links"), which is valid because the search undoes in LIFO order.
 */
import type { Operation } from './history.js'

export interface Entry {
  /** Operation index within the partition. */
  readonly id: number
  readonly isCall: boolean
  readonly time: number
  /** The operation's outcome is unknown (its return is at +Infinity). */
  readonly pending: boolean
  /** For a call: its return entry. */
  match: Entry | null
  prev: Entry | null
  next: Entry | null
}

/**
 * Builds the list and returns its sentinel head. Entries are ordered by time; at equal times
 * calls come before returns, so operations whose intervals only touch count as concurrent.
 * Remaining ties are broken by operation index, which keeps the search deterministic.
 */
export function buildEntryList(ops: readonly Operation<unknown, unknown>[]): Entry {
  const entries: Entry[] = []
  ops.forEach((op, id) => {
    const pending = op.return === Infinity
    const base = { id, pending, prev: null, next: null }
    const ret: Entry = { ...base, isCall: false, time: op.return, match: null }
    entries.push({ ...base, isCall: true, time: op.call, match: ret }, ret)
  })
  entries.sort((a, b) => a.time - b.time || Number(b.isCall) - Number(a.isCall) || a.id - b.id)
  const head: Entry = {
    id: -1,
    isCall: false,
    time: -Infinity,
    pending: false,
    match: null,
    prev: null,
    next: null,
  }
  let last = head
  for (const e of entries) {
    last.next = e
    e.prev = last
    last = e
  }
  return head
}

function unlink(e: Entry): void {
  e.prev!.next = e.next
  if (e.next) e.next.prev = e.prev
}

function relink(e: Entry): void {
  e.prev!.next = e
  if (e.next) e.next.prev = e
}

/** Removes a call and its return from the list; they keep their own links for `unlift`. */
export function lift(call: Entry): void {
  unlink(call)
  unlink(call.match!)
}

/** Undoes the matching `lift` (must be the most recent one not yet undone). */
export function unlift(call: Entry): void {
  relink(call.match!)
  relink(call)
}

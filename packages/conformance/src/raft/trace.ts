/**
 * The event trace of a run: role changes and applies with the clock's time, plus the
 * harness's own fault actions. Under a SimulatedClock it is a pure function of the seed, so
 * its hash proves that two replays of a seed did the same thing.
 */
import { createHash } from 'node:crypto'
import type { Hash } from 'node:crypto'

export type TraceEvent =
  | {
      readonly t: number
      readonly kind: 'role'
      readonly server: number
      readonly term: number
      readonly leader: boolean
    }
  | {
      readonly t: number
      readonly kind: 'apply'
      readonly server: number
      readonly index: number
      readonly value: string
    }
  | {
      readonly t: number
      readonly kind: 'snapshot'
      readonly server: number
      readonly index: number
    }
  | {
      /** What a crash did to the writes in flight on the simulated disk (disk model on). */
      readonly t: number
      readonly kind: 'disk-crash'
      readonly server: number
      readonly kept: number
      readonly torn: number
      readonly lost: number
    }
  | {
      readonly t: number
      readonly kind: 'fault'
      readonly action:
        | 'crash'
        | 'start'
        | 'connect'
        | 'disconnect'
        | 'partition'
        | 'reliable'
        | 'unreliable'
        | 'reordering'
      readonly server: number
    }

export type TraceSink = (event: TraceEvent) => void

/** One line per event, stable across runs (used for hashing and for --trace output). */
export function formatEvent(e: TraceEvent): string {
  switch (e.kind) {
    case 'role':
      return `${e.t} role s${e.server} term=${e.term} ${e.leader ? 'leader' : 'follower'}`
    case 'apply':
      return `${e.t} apply s${e.server} ${e.index}=${e.value}`
    case 'snapshot':
      return `${e.t} snapshot s${e.server} ${e.index}`
    case 'disk-crash':
      return `${e.t} disk-crash s${e.server} kept=${e.kept} torn=${e.torn} lost=${e.lost}`
    case 'fault':
      // server is the node for connect/crash/..., the group count for partition, -1 for net-wide
      return `${e.t} ${e.action} ${e.server}`
  }
}

/** Folds events into a SHA-256 hash as they happen (nothing is kept in memory). */
export class TraceHasher {
  private readonly hash: Hash = createHash('sha256')
  count = 0

  readonly sink: TraceSink = (e) => {
    this.hash.update(formatEvent(e) + '\n')
    this.count++
  }

  digest(): string {
    return this.hash.digest('hex')
  }
}

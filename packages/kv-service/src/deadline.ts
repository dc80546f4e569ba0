/** Small helpers to bound waits with the injected clock (every timer is cleared on settle). */
import type { Clock } from '@raftkit/raft-core'

export const TIMED_OUT: unique symbol = Symbol('timed out')

/**
 * Resolves with `promise`'s value, or TIMED_OUT after `ms` or when the returned `cancel` is
 * called. A rejection of `promise` is passed on if it comes first; a late rejection is
 * observed (never unhandled) and ignored.
 */
export function within<T>(
  clock: Clock,
  promise: Promise<T>,
  ms: number,
): { result: Promise<T | typeof TIMED_OUT>; cancel: () => void } {
  let cancel: () => void = () => undefined
  const result = new Promise<T | typeof TIMED_OUT>((resolve, reject) => {
    const timer = clock.setTimeout(() => resolve(TIMED_OUT), Math.max(0, ms))
    cancel = () => {
      clock.clearTimeout(timer)
      resolve(TIMED_OUT)
    }
    promise.then(
      (v) => {
        clock.clearTimeout(timer)
        resolve(v)
      },
      (e: unknown) => {
        clock.clearTimeout(timer)
        reject(e instanceof Error ? e : new Error(String(e)))
      },
    )
  })
  return { result, cancel }
}

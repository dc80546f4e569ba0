/**
 * The history the checker consumes, and a recorder that builds it from a running test.
 *
 * An operation whose outcome is unknown (the client timed out, crashed, or the test ended while it
 * was in flight) has `return: Infinity` and no output: it may have taken effect at any moment after
 * its call, or never.
 */
import { InvalidHistoryError, RecorderMisuseError } from './errors.js'

export type ClientId = number | string

export interface Operation<I, O> {
  readonly clientId: ClientId
  readonly input: I
  /** Undefined exactly when the outcome is unknown (`return === Infinity`). */
  readonly output: O | undefined
  /** Time the client issued the call. */
  readonly call: number
  /** Time the client saw the response, or `Infinity` if it never did. */
  readonly return: number
}

/** Whether the operation's outcome is unknown (it may or may not have taken effect). */
export function isPending(op: Operation<unknown, unknown>): boolean {
  return op.return === Infinity
}

/**
 * Throws InvalidHistoryError on the first malformed operation: a call time that is not a finite
 * number, or a return time that is not a number at or after the call (Infinity allowed).
 */
export function validateOperationTimes(ops: readonly Operation<unknown, unknown>[]): void {
  ops.forEach((op, i) => {
    if (typeof op.call !== 'number' || !Number.isFinite(op.call)) {
      throw new InvalidHistoryError(
        i,
        `has call time ${String(op.call)}; it must be a finite number`,
      )
    }
    if (typeof op.return !== 'number' || Number.isNaN(op.return) || op.return < op.call) {
      throw new InvalidHistoryError(
        i,
        `has return time ${String(op.return)} for call time ${op.call}; it must be >= the call time (Infinity if the outcome is unknown)`,
      )
    }
  })
}

/** Anything with a `now()` in milliseconds: SystemClock, SimulatedClock, or a test stub. */
export interface TimeSource {
  now(): number
}

/** Opaque handle for an operation in flight. */
export type OperationToken = number & { readonly __operationToken: unique symbol }

interface InFlight<I> {
  readonly clientId: ClientId
  readonly input: I
  readonly call: number
}

/**
 * Records operations as a test runs them: `begin` before sending, then `end` with the response
 * or `unknown` when the outcome was lost. Reading the clock through `TimeSource` keeps it exact
 * under a SimulatedClock.
 */
export class HistoryRecorder<I, O> {
  private readonly done: Operation<I, O>[] = []
  private readonly inFlight = new Map<number, InFlight<I>>()
  private nextToken = 1

  constructor(private readonly clock: TimeSource) {}

  begin(clientId: ClientId, input: I): OperationToken {
    const token = this.nextToken++
    this.inFlight.set(token, { clientId, input, call: this.clock.now() })
    return token as OperationToken
  }

  /** The operation completed and the client saw `output`. */
  end(token: OperationToken, output: O): void {
    const op = this.take(token)
    this.done.push({ ...op, output, return: this.clock.now() })
  }

  /** The client gave up on the operation; it may or may not have taken effect. */
  unknown(token: OperationToken): void {
    const op = this.take(token)
    this.done.push({ ...op, output: undefined, return: Infinity })
  }

  /** Number of operations begun but not yet ended. */
  pendingCount(): number {
    return this.inFlight.size
  }

  /**
   * The recorded history. Operations still in flight are included with an unknown outcome,
   * since whatever they did may already be visible to others.
   */
  operations(): Operation<I, O>[] {
    const pending = [...this.inFlight.values()].map((op): Operation<I, O> => ({
      ...op,
      output: undefined,
      return: Infinity,
    }))
    return [...this.done, ...pending]
  }

  private take(token: OperationToken): InFlight<I> {
    const op = this.inFlight.get(token)
    if (!op) {
      throw new RecorderMisuseError(
        `token ${token} is not in flight: it was never returned by begin() or was already ended`,
      )
    }
    this.inFlight.delete(token)
    return op
  }
}

/** A conformance failure: a scenario's pass condition or a Raft invariant did not hold. */
export class ScenarioFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ScenarioFailure'
  }
}

/** The run was stopped because the cluster was cleaned up (a pending step gives up quietly). */
export class ClusterFinished extends Error {
  constructor() {
    super('the cluster has been cleaned up')
    this.name = 'ClusterFinished'
  }
}

/**
 * The first failure of a run, latched: `fail()` records it once and rejects `failed`, so a
 * scenario raced against it (`guard`) stops at the first failure wherever it was recorded
 * (an apply checker, an invariant check, a timer).
 */
export class FailureLatch {
  /** Never resolves; rejects with the first failure. */
  readonly failed: Promise<never>
  private first: Error | undefined
  private reject: (e: Error) => void = () => undefined

  constructor() {
    this.failed = new Promise<never>((_, reject) => {
      this.reject = reject
    })
    this.failed.catch(() => undefined) // observed through guard(); never an unhandled rejection
  }

  /** Runs `body`, failing as soon as a failure is recorded. */
  guard<T>(body: () => Promise<T>): Promise<T> {
    return Promise.race([body(), this.failed])
  }

  /** Records the first failure and returns it (callers `throw harness.fail(...)`). */
  fail(reason: string | Error): Error {
    const error = typeof reason === 'string' ? new ScenarioFailure(reason) : reason
    if (this.first === undefined) {
      this.first = error
      this.reject(error)
    }
    return this.first
  }

  /** The first failure recorded, if any. */
  get error(): Error | undefined {
    return this.first
  }
}

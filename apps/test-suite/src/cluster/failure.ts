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

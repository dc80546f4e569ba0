/**
 * Typed errors of the linearizability checker. They are thrown before any work starts, so a
 * rejected call changes no state (a recorder that rejects a call keeps its history as it was).
 */
export type LinearizabilityErrorCode =
  'LIN_INVALID_HISTORY' | 'LIN_INVALID_OPTIONS' | 'LIN_RECORDER_MISUSE'

export class LinearizabilityError extends Error {
  readonly code: LinearizabilityErrorCode
  constructor(code: LinearizabilityErrorCode, message: string) {
    super(message)
    this.code = code
    this.name = new.target.name
  }
}

/** An operation in the history is malformed (bad times, or an input the model rejects). */
export class InvalidHistoryError extends LinearizabilityError {
  /** Position of the offending operation in the history that was passed in. */
  readonly index: number
  constructor(index: number, reason: string) {
    super(
      'LIN_INVALID_HISTORY',
      `invalid history: operation ${index} ${reason}. Fix the recording of that operation`,
    )
    this.index = index
  }
}

/** A checker option is out of range. `field` names it. */
export class InvalidCheckOptionsError extends LinearizabilityError {
  readonly field: string
  constructor(field: string, reason: string) {
    super('LIN_INVALID_OPTIONS', `invalid checker option "${field}": ${reason}`)
    this.field = field
  }
}

/** A HistoryRecorder token was unknown or already completed. */
export class RecorderMisuseError extends LinearizabilityError {
  constructor(reason: string) {
    super('LIN_RECORDER_MISUSE', `history recorder misuse: ${reason}`)
  }
}

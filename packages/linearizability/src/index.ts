/**
 * A Porcupine-style linearizability checker: P-compositional (per-partition) Wing & Gong search
 * with Lowe's configuration cache, a time budget, explanations and renderings of failures.
 */
export {
  checkOperations,
  type CheckOptions,
  type CheckResult,
  type CheckVerdict,
  type PartitionResult,
  type PartitionVerdict,
} from './checker.js'
export {
  InvalidCheckOptionsError,
  InvalidHistoryError,
  LinearizabilityError,
  RecorderMisuseError,
  type LinearizabilityErrorCode,
} from './errors.js'
export { diagnose, type CandidateVerdict, type Diagnosis } from './explain.js'
export {
  HistoryRecorder,
  isPending,
  validateOperationTimes,
  type ClientId,
  type Operation,
  type OperationToken,
  type TimeSource,
} from './history.js'
export {
  kvModel,
  type KvInput,
  type KvOp,
  type KvOutput,
  type KvState,
  type Model,
  type Partition,
  type StepResult,
} from './model.js'
export { renderHtml, renderText, writeHtmlReport, type TextRenderOptions } from './render.js'
export type { SearchStats } from './search.js'
export { buildTimeline, type RowRole, type Timeline, type TimelineRow } from './timeline.js'

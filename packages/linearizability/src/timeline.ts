/**
 * The layout both renderings share: one row per operation grouped by client, each with its
 * role in the verdict, and the time range to scale the axis to.
 */
import type { CheckResult, PartitionResult } from './checker.js'
import { isPending, type ClientId, type Operation } from './history.js'

/**
 * linearized: part of the witness (ok) or of the longest linearizable prefix (illegal/timeout).
 * failed: the operation that could not be placed. omitted: an unknown-outcome operation the
 * witness leaves out (it never took effect). other: everything else.
 */
export type RowRole = 'linearized' | 'failed' | 'omitted' | 'other'

export interface TimelineRow<I, O> {
  readonly id: number
  readonly op: Operation<I, O>
  readonly role: RowRole
  /** 1-based position in the witness or prefix, for linearized rows. */
  readonly order?: number
}

export interface ClientLane<I, O> {
  readonly clientId: ClientId
  readonly rows: TimelineRow<I, O>[]
}

export interface Timeline<I, O> {
  readonly start: number
  readonly end: number
  readonly lanes: ClientLane<I, O>[]
}

function compareClients(a: ClientId, b: ClientId): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return String(a).localeCompare(String(b))
}

function roleOf<I, O>(p: PartitionResult<I, O>, id: number, order: number | undefined): RowRole {
  if (order !== undefined) return 'linearized'
  if (p.failedOp === id) return 'failed'
  if (p.verdict === 'ok' && isPending(p.operations[id]!)) return 'omitted'
  return 'other'
}

export function buildTimeline<I, O>(p: PartitionResult<I, O>): Timeline<I, O> {
  const ordered = p.linearization ?? p.longestPrefix ?? []
  const position = new Map(ordered.map((id, i) => [id, i + 1]))
  const lanes = new Map<ClientId, TimelineRow<I, O>[]>()
  let start = Infinity
  let end = -Infinity
  p.operations.forEach((op, id) => {
    const order = position.get(id)
    const row: TimelineRow<I, O> = {
      id,
      op,
      role: roleOf(p, id, order),
      ...(order ? { order } : {}),
    }
    const lane = lanes.get(op.clientId)
    if (lane) lane.push(row)
    else lanes.set(op.clientId, [row])
    start = Math.min(start, op.call)
    end = Math.max(end, op.call, isPending(op) ? op.call : op.return)
  })
  if (start === Infinity) start = end = 0
  return {
    start,
    end: end > start ? end : start + 1,
    lanes: [...lanes.entries()]
      .sort(([a], [b]) => compareClients(a, b))
      .map(([clientId, rows]) => ({
        clientId,
        rows: rows.sort((a, b) => a.op.call - b.op.call || a.id - b.id),
      })),
  }
}

/** The partitions worth showing: the failing ones, else those that timed out, else all. */
export function partitionsToShow<I, O>(result: CheckResult<I, O>): PartitionResult<I, O>[] {
  for (const verdict of ['illegal', 'timeout'] as const) {
    const hits = result.partitions.filter((p) => p.verdict === verdict)
    if (hits.length > 0) return hits
  }
  return result.partitions
}

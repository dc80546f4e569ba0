/**
 * Sequential specifications the checker tests histories against, and the key/value model.
 */
import { isPending, type Operation } from './history.js'

export interface StepResult<S> {
  /** Whether the operation, with this output, is legal in the given state. */
  readonly ok: boolean
  /** The state after the operation (meaningful only when `ok`). */
  readonly state: S
}

/** A group of operations that can be checked on its own (e.g. all the operations on one key). */
export interface Partition<I, O> {
  readonly label: string
  readonly operations: readonly Operation<I, O>[]
}

export interface Model<S, I, O> {
  /**
   * Split the history into independent sub-histories. Sound when the model is a product of
   * independent objects (linearizability is local). Default: one partition with everything.
   * It may also drop operations that constrain nothing (e.g. a read whose outcome is unknown).
   */
  partition?(ops: readonly Operation<I, O>[]): Partition<I, O>[]
  init(): S
  /**
   * Apply `input` to `state`. `output` is undefined for an operation whose outcome is unknown;
   * the model must then accept any result. Must not modify `state`.
   */
  step(state: S, input: I, output: O | undefined): StepResult<S>
  /** State equality for the search cache. Default: `Object.is`. */
  equal?(a: S, b: S): boolean
  /** A hash consistent with `equal`, to spread the search cache. Default: a constant. */
  hash?(state: S): number
  /** Returns a reason when the operation is malformed for this model, else undefined. */
  validate?(op: Operation<I, O>): string | undefined
  describeOperation(input: I, output: O | undefined): string
  describeState(state: S): string
}

export type KvOp = 'get' | 'put' | 'append'

export interface KvInput {
  readonly op: KvOp
  readonly key: string
  /** The value written by put/append; ignored for get. */
  readonly value?: string
}

export interface KvOutput {
  /** The value read by get (a missing key reads as ""); unused for put/append. */
  readonly value?: string
}

/** The value of one key: the kv model is checked one key at a time. */
export type KvState = string

function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/** FNV-1a over the string; used only to spread cache buckets. */
function hashString(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h | 0
}

function partitionByKey(
  ops: readonly Operation<KvInput, KvOutput>[],
): Partition<KvInput, KvOutput>[] {
  const byKey = new Map<string, Operation<KvInput, KvOutput>[]>()
  for (const op of ops) {
    // A get whose response was lost constrains nothing: drop it.
    if (op.input.op === 'get' && isPending(op)) continue
    const group = byKey.get(op.input.key)
    if (group) group.push(op)
    else byKey.set(op.input.key, [op])
  }
  return [...byKey.keys()]
    .sort()
    .map((key) => ({ label: `key ${quote(key)}`, operations: byKey.get(key) ?? [] }))
}

const KV_OPS: ReadonlySet<string> = new Set(['get', 'put', 'append'])

/** get/put/append on string keys, one partition per key, a missing key reads as "". */
export const kvModel: Model<KvState, KvInput, KvOutput> = {
  partition: partitionByKey,
  init: () => '',
  step(state, input, output) {
    switch (input.op) {
      case 'get':
        // An unknown output (the response was lost) is consistent with any state.
        return { ok: output === undefined || (output.value ?? '') === state, state }
      case 'put':
        return { ok: true, state: input.value ?? '' }
      case 'append':
        return { ok: true, state: state + (input.value ?? '') }
    }
  },
  equal: (a, b) => a === b,
  hash: hashString,
  validate(op) {
    const input = op.input as Partial<KvInput> | undefined
    if (typeof input !== 'object' || input === null) return 'has no input object'
    if (typeof input.op !== 'string' || !KV_OPS.has(input.op)) {
      return `has op ${JSON.stringify(input.op)}; expected 'get', 'put' or 'append'`
    }
    if (typeof input.key !== 'string') return 'has a key that is not a string'
    if (input.op !== 'get' && typeof input.value !== 'string') {
      return `is a ${input.op} without a string value`
    }
    const output = op.output as unknown
    if (output !== undefined && (typeof output !== 'object' || output === null)) {
      return 'has an output that is not an object'
    }
    if (input.op === 'get' && !isPending(op)) {
      // A get that returned must say what it read; undefined would silently check nothing.
      if (output === undefined) return 'is a get that returned but has no output'
      const value = (output as KvOutput).value
      if (value !== undefined && typeof value !== 'string') {
        return 'is a get whose output value is not a string'
      }
    }
    return undefined
  },
  describeOperation(input, output) {
    switch (input.op) {
      case 'get':
        return output === undefined
          ? `get(${quote(input.key)}) -> ?`
          : `get(${quote(input.key)}) -> ${quote(output.value ?? '')}`
      case 'put':
        return `put(${quote(input.key)}, ${quote(input.value ?? '')})`
      case 'append':
        return `append(${quote(input.key)}, ${quote(input.value ?? '')})`
    }
  },
  describeState: (state) => quote(state),
}

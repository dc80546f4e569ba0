import { expect } from 'chai'
import {
  isPending,
  kvModel,
  type ClientId,
  type KvInput,
  type KvOutput,
  type Operation,
} from '../src/index.js'

export type KvOperation = Operation<KvInput, KvOutput>

/** A get that returned `observed`; `ret = Infinity` makes its outcome unknown. */
export function get(
  client: ClientId,
  call: number,
  ret: number,
  key: string,
  observed?: string,
): KvOperation {
  const output = ret === Infinity ? undefined : { value: observed ?? '' }
  return { clientId: client, input: { op: 'get', key }, output, call, return: ret }
}

export function put(
  client: ClientId,
  call: number,
  ret: number,
  key: string,
  value: string,
): KvOperation {
  const output = ret === Infinity ? undefined : {}
  return { clientId: client, input: { op: 'put', key, value }, output, call, return: ret }
}

export function append(
  client: ClientId,
  call: number,
  ret: number,
  key: string,
  value: string,
): KvOperation {
  const output = ret === Infinity ? undefined : {}
  return { clientId: client, input: { op: 'append', key, value }, output, call, return: ret }
}

/**
 * Asserts that `prefix` is a legal order of some of `ops` under the kv model on one key that
 * respects real time: no operation twice, each step legal, and every operation that returned
 * before a placed one was called is placed before it.
 */
export function expectLegalPrefix(ops: readonly KvOperation[], prefix: readonly number[]): void {
  expect(new Set(prefix).size, 'no operation twice').to.equal(prefix.length)
  let state = kvModel.init()
  prefix.forEach((id, i) => {
    const op = ops[id]!
    const r = kvModel.step(state, op.input, op.output)
    expect(r.ok, `#${id} is legal in state '${state}'`).to.equal(true)
    state = r.state
    ops.forEach((a, j) => {
      if (a.return < op.call) expect(prefix.slice(0, i), `#${j} before #${id}`).to.include(j)
    })
  })
}

/**
 * Asserts that `order` is a valid linearization of `ops`: a legal prefix (above) in which every
 * operation with a known outcome appears.
 */
export function expectWitness(ops: readonly KvOperation[], order: readonly number[]): void {
  const included = new Set(order)
  ops.forEach((op, id) => {
    if (!isPending(op)) expect(included.has(id), `op #${id} is in the witness`).to.equal(true)
  })
  expectLegalPrefix(ops, order)
}

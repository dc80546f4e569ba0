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
 * Asserts that `order` is a valid linearization of `ops` under the kv model on one key: every
 * operation with a known outcome appears, each step is legal, and real-time order is respected
 * (an operation that returned before another was called comes first).
 */
export function expectWitness(ops: readonly KvOperation[], order: readonly number[]): void {
  const included = new Set(order)
  expect(included.size, 'no operation twice').to.equal(order.length)
  ops.forEach((op, id) => {
    if (!isPending(op)) expect(included.has(id), `op #${id} is in the witness`).to.equal(true)
  })
  let state = kvModel.init()
  for (const id of order) {
    const op = ops[id]!
    const r = kvModel.step(state, op.input, op.output)
    expect(r.ok, `op #${id} is legal in state '${state}'`).to.equal(true)
    state = r.state
  }
  order.forEach((a, i) => {
    for (const b of order.slice(i + 1)) {
      expect(ops[b]!.return < ops[a]!.call, `#${b} returned before #${a} was called`).to.equal(
        false,
      )
    }
  })
}

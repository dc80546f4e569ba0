import { expect } from 'chai'

/** Each of `expected` occurs exactly once in `value`, in order (the lab's checkClntAppends). */
export function expectAppendsOnce(value: string, expected: readonly string[]): void {
  let last = -1
  for (const e of expected) {
    const at = value.indexOf(e)
    expect(at, `missing ${e}`).to.be.greaterThan(-1)
    expect(value.lastIndexOf(e), `duplicate ${e}`).to.equal(at)
    expect(at, `wrong order at ${e}`).to.be.greaterThan(last)
    last = at
  }
}

/** The error `p` rejects with; fails if it resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (e) {
    return e as Error
  }
  throw new Error('expected a rejection')
}

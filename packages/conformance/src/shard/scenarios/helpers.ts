/**
 * Steps the shardkv scenarios share: random values, value checks, appending tasks, the final
 * check, and how most 4B scenarios start and end.
 */
import { checkOperations, kvModel } from '@raftkit/linearizability'
import type { ShardCluster } from '../harness.js'
import type { ShardClerk } from '../groups.js'

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-'

export function randstring(c: ShardCluster, n: number): string {
  let s = ''
  for (let i = 0; i < n; i++) s += ALPHABET[c.rng.int(ALPHABET.length)]
  return s
}

/** Get(key) must return `want`. */
export async function check(
  c: ShardCluster,
  ck: ShardClerk,
  key: string,
  want: string,
): Promise<void> {
  const v = await ck.get(key)
  c.check(v === want, `Get(${key}): expected:\n${want}\nreceived:\n${v}`)
}

/** The keys "0".."n-1" with Puts of random values of `len` characters; returns the values. */
export async function putKeys(c: ShardCluster, ck: ShardClerk, n: number, len: number) {
  const ka: string[] = []
  const va: string[] = []
  for (let i = 0; i < n; i++) {
    ka.push(String(i))
    va.push(randstring(c, len))
    await ck.put(ka[i]!, va[i]!)
  }
  return { ka, va }
}

/**
 * How most 4B scenarios start after their begin line: a clerk, the replica groups `joins`
 * joined one configuration at a time in that order (group 0 alone by default), then `n` keys
 * put with random values of `len` characters (putKeys).
 */
export async function joinAndPutKeys(
  c: ShardCluster,
  n: number,
  len: number,
  joins: readonly number[] = [0],
) {
  const g = c.groups
  const ck = g.makeClient()
  for (const gi of joins) await g.join(gi)
  const { ka, va } = await putKeys(c, ck, n, len)
  return { g, ck, ka, va }
}

/**
 * How most 4B scenarios end: every key reads what was written (checkAll), the whole history
 * is linearizable, and the lab's "Passed" line.
 */
export async function endScenario(
  c: ShardCluster,
  ck: ShardClerk,
  ka: readonly string[],
  va: readonly string[],
): Promise<void> {
  await checkAll(c, ck, ka, va)
  checkLinearizable(c)
  c.end()
}

/** For every key: check its value, then append `len` random characters (tracked in va). */
export async function checkAndAppend(
  c: ShardCluster,
  ck: ShardClerk,
  ka: readonly string[],
  va: string[],
  len: number,
): Promise<void> {
  for (let i = 0; i < ka.length; i++) {
    await check(c, ck, ka[i]!, va[i]!)
    const x = randstring(c, len)
    await ck.append(ka[i]!, x)
    va[i] += x
  }
}

export async function checkAll(
  c: ShardCluster,
  ck: ShardClerk,
  ka: readonly string[],
  va: readonly string[],
): Promise<void> {
  for (let i = 0; i < ka.length; i++) await check(c, ck, ka[i]!, va[i]!)
}

/**
 * One clerk per key appending `len` random characters every `pauseMs` until stopped, tracking
 * the expected value; `stop()` waits for them and returns.
 */
export function appenders(
  c: ShardCluster,
  ka: readonly string[],
  va: string[],
  len: number,
  pauseMs: number,
): { stop(): Promise<void> } {
  let done = false
  const tasks = ka.map(async (key, i) => {
    const ck = c.groups.makeClient()
    while (!done && !c.stopped) {
      const x = randstring(c, len)
      await ck.append(key, x)
      va[i] += x
      if (pauseMs > 0) await c.sleep(pauseMs)
    }
  })
  for (const t of tasks) t.catch(() => undefined) // observed by stop(); never unhandled
  return {
    async stop() {
      done = true
      await Promise.all(tasks)
    },
  }
}

/** Porcupine over every recorded operation, with the lab's 1 s budget (unknown passes). */
export function checkLinearizable(c: ShardCluster): void {
  const ops = c.groups.history.operations()
  const result = checkOperations(kvModel, ops, { timeoutMs: 1000 })
  if (result.result === 'unknown') {
    c.log('info: linearizability check timed out, assuming history is ok')
    return
  }
  c.check(
    result.result === 'ok',
    `history is not linearizable (${ops.length} operations)\n${result.explanation ?? ''}`,
  )
}

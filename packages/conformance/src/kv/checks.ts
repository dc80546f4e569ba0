/**
 * The lab's value checks (checkClntAppends, checkConcurrentAppends, check) and the final
 * Porcupine check with its 1 s budget; an illegal history is written as an HTML report to the
 * temp directory and the failure names the file.
 */
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkOperations, kvModel, writeHtmlReport } from '@raftkit/linearizability'
import type { KvCluster, TestClerk } from './harness.js'
import { LINEARIZABILITY_CHECK_TIMEOUT_MS } from './harness.js'

/** The element client `cli` appends as its `j`-th value: "x <cli> <j> y". */
export function element(cli: number, j: number): string {
  return `x ${cli} ${j} y`
}

/** Problems with client `clnt`'s first `count` elements in `v` (missing, duplicate, order), or null. */
export function clntAppendsProblem(clnt: number, v: string, count: number): string | null {
  let lastoff = -1
  for (let j = 0; j < count; j++) {
    const wanted = element(clnt, j)
    const off = v.indexOf(wanted)
    if (off < 0) return `${clnt} missing element ${wanted} in Append result ${v}`
    const off1 = v.lastIndexOf(wanted)
    if (off1 !== off) return `duplicate element ${wanted} in Append result`
    if (off <= lastoff) return `wrong order for element ${wanted} in Append result`
    lastoff = off
  }
  return null
}

/** checkClntAppends: every element of client `clnt` below `count` is in `v` once, in order. */
export function checkClntAppends(c: KvCluster, clnt: number, v: string, count: number): void {
  const problem = clntAppendsProblem(clnt, v, count)
  if (problem !== null) throw c.fail(problem)
}

/** checkConcurrentAppends: the same for every client i with counts[i] elements. */
export function checkConcurrentAppends(c: KvCluster, v: string, counts: readonly number[]): void {
  counts.forEach((count, i) => {
    const problem = clntAppendsProblem(i, v, count)
    if (problem !== null) throw c.fail(problem)
  })
}

/** check(): a Get through `ck` (not recorded) must return `value`. */
export async function check(
  c: KvCluster,
  ck: TestClerk,
  key: string,
  value: string,
): Promise<void> {
  const v = await ck.get(key, null)
  if (v !== value) throw c.fail(`Get(${key}): expected:\n${value}\nreceived:\n${v}`)
}

/**
 * Porcupine over every recorded operation, with the lab's 1 s budget. Illegal: an HTML report
 * in the temp directory and a failure naming it. Unknown (budget spent): an info line, pass.
 */
export async function checkLinearizable(c: KvCluster, scenarioName: string): Promise<void> {
  const ops = c.history.operations()
  const result = checkOperations(kvModel, ops, { timeoutMs: LINEARIZABILITY_CHECK_TIMEOUT_MS })
  if (result.result === 'unknown') {
    c.log('info: linearizability check timed out, assuming history is ok')
    return
  }
  if (result.result === 'ok') return
  const file = join(
    tmpdir(),
    `raftkit-${scenarioName}-seed${c.seed}-${process.pid}-${Date.now()}.html`,
  )
  let where: string
  try {
    where = `info: wrote visualization to ${await writeHtmlReport(file, kvModel, result, `${scenarioName} (seed ${c.seed})`)}`
  } catch (e) {
    where = `(could not write the HTML report to ${file}: ${(e as Error).message})`
  }
  throw c.fail(
    `history is not linearizable (${ops.length} operations)\n${where}\n${result.explanation ?? ''}`,
  )
}

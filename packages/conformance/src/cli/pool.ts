/**
 * --jobs N: a sweep's seeds spread over N worker processes (this CLI again, forked with
 * RAFTKIT_CONFORMANCE_WORKER=1 and the same options). The parent hands out one seed at a time;
 * a worker runs every selected scenario for it and sends back the counts and everything it
 * would have printed (failures with their replay commands, --verbose lines). The parent prints
 * the seeds in order, so the output is the one a single process prints, only sooner.
 */
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'

/** What one seed did: runs passed, the failing `name --seed s` lines, and its printed lines. */
export interface SeedResult {
  readonly seed: number
  readonly passed: number
  readonly failing: readonly string[]
  readonly out: readonly string[]
}

type ToWorker = { readonly seed: number } | { readonly done: true }

const WORKER_ENV = 'RAFTKIT_CONFORMANCE_WORKER'

/** True in a process forked by runPool (it should call serveSeeds instead of running). */
export function isPoolWorker(): boolean {
  return process.env[WORKER_ENV] === '1' && typeof process.send === 'function'
}

/**
 * The worker's side: runs each seed it is sent with `runSeed`, whose `print` (and console.log
 * meanwhile) goes into the seed's result, until told it is done.
 */
export function serveSeeds(
  runSeed: (seed: number, print: (line: string) => void) => Promise<SeedResult>,
): Promise<void> {
  return new Promise((resolve) => {
    let lines: string[] = []
    console.log = (...args: unknown[]) => {
      lines.push(args.map(String).join(' '))
    }
    let queue = Promise.resolve()
    process.on('message', (m: ToWorker) => {
      if ('done' in m) {
        queue = queue.then(() => {
          process.disconnect()
          resolve()
        })
        return
      }
      queue = queue.then(async () => {
        lines = []
        const out = lines
        const r = await runSeed(m.seed, (line) => out.push(line))
        process.send?.({ ...r, out })
      })
    })
  })
}

/**
 * The parent's side: runs seeds first..first+count-1 on `jobs` workers (forked from `script`
 * with `args`), calling `onSeed` for each result in seed order. Rejects if a worker dies.
 */
export function runPool(options: {
  readonly script: string
  readonly args: readonly string[]
  readonly jobs: number
  readonly first: number
  readonly count: number
  readonly onSeed: (r: SeedResult) => void
}): Promise<void> {
  const { first, count, onSeed } = options
  const end = first + count
  let next = first
  let printed = first
  const results = new Map<number, SeedResult>()
  const workers: ChildProcess[] = []
  return new Promise<void>((resolve, reject) => {
    let failed = false
    const fail = (e: Error): void => {
      if (failed) return
      failed = true
      for (const w of workers) w.kill()
      reject(e)
    }
    const released = new Set<ChildProcess>()
    const handOut = (w: ChildProcess): void => {
      if (next < end) {
        w.send({ seed: next++ } satisfies ToWorker)
        return
      }
      released.add(w)
      w.send({ done: true } satisfies ToWorker)
    }
    const jobs = Math.min(options.jobs, count)
    let exited = 0
    for (let i = 0; i < jobs; i++) {
      const w = fork(options.script, [...options.args], {
        env: { ...process.env, [WORKER_ENV]: '1' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
      workers.push(w)
      w.on('message', (r: SeedResult) => {
        results.set(r.seed, r)
        for (let s = results.get(printed); s !== undefined; s = results.get(printed)) {
          results.delete(printed)
          printed++
          onSeed(s)
        }
        handOut(w)
      })
      w.on('error', fail)
      w.on('exit', (code, signal) => {
        if (!released.has(w) || code !== 0)
          fail(
            new Error(
              `a --jobs worker stopped (${signal ?? `exit code ${String(code)}`}) before the sweep ended`,
            ),
          )
        else if (++exited === jobs) resolve()
      })
      handOut(w)
    }
  })
}

/**
 * The SIGKILL crash harness shared by test/kill9.spec.ts and scripts/kill9-soak.ts: start the
 * writer child on a directory, kill it with SIGKILL at a random moment, reopen the directory
 * and check that every acknowledged entry is there, in order, with its exact payload (entries
 * covered by the snapshot count if the snapshot is the one for that index), and that whatever
 * else is there is intact too.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Entry, Rng, Snapshot } from '@raftkit/raft-core'
import { createRng } from '@raftkit/raft-core'
import { createFileStorage } from '../src/index.js'

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url))
const WRITER = fileURLToPath(new URL('./fixtures/kill9-writer.ts', import.meta.url))

/** The payload the writer uses for index `i`: variable length, checkable. */
export function expectedEntry(index: number): Entry {
  const text = `entry ${index};`.repeat(1 + (index % 9))
  return { index, term: 1, kind: 'command', data: new TextEncoder().encode(text) }
}

export function snapshotFor(index: number): Snapshot {
  return { meta: { index, term: 1 }, data: new TextEncoder().encode(`state up to ${index}`) }
}

export interface RoundResult {
  /** Highest index the child acknowledged before it died. */
  readonly acked: number
  /** Last index found on reopen. */
  readonly recovered: number
  /** Problems found (empty when the round passed). */
  readonly problems: string[]
}

interface Child {
  readonly acked: () => number
  readonly waitForAcks: (n: number) => Promise<void>
  readonly kill: () => Promise<void>
}

function startWriter(dir: string, seed: number): Child {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@raftkit/source', WRITER, dir, String(seed)],
    {
      cwd: PACKAGE_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let acked = 0
  let buffered = ''
  let stderr = ''
  const waiters: Array<{ n: number; resolve: () => void }> = []
  let ackCount = 0
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    for (const line of lines) {
      const m = /^ack (\d+)$/.exec(line)
      if (!m) continue
      acked = Math.max(acked, Number(m[1]))
      ackCount++
      for (const w of waiters.splice(0)) {
        if (ackCount >= w.n) w.resolve()
        else waiters.push(w)
      }
    }
  })
  return {
    acked: () => acked,
    waitForAcks: (n) =>
      new Promise<void>((resolve, reject) => {
        if (ackCount >= n) return resolve()
        waiters.push({ n, resolve })
        void exited.then(() =>
          reject(new Error(`writer exited early (code ${child.exitCode}): ${stderr}`)),
        )
      }),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
  }
}

/** Reopens `dir` and checks it against `acked`; returns the problems found. */
async function verify(
  dir: string,
  acked: number,
): Promise<{ recovered: number; problems: string[] }> {
  const problems: string[] = []
  const storage = await createFileStorage({ dir })
  try {
    const { snapshot, entries } = await storage.load()
    const base = snapshot?.meta.index ?? 0
    if (snapshot) {
      const want = snapshotFor(base)
      if (Buffer.compare(Buffer.from(snapshot.data), Buffer.from(want.data)) !== 0)
        problems.push(`snapshot ${base} has wrong data`)
    }
    entries.forEach((e, i) => {
      const want = expectedEntry(base + 1 + i)
      if (e.index !== want.index)
        problems.push(`entry at position ${i} has index ${e.index}, expected ${want.index}`)
      else if (Buffer.compare(Buffer.from(e.data), Buffer.from(want.data)) !== 0)
        problems.push(`entry ${e.index} has wrong data`)
    })
    const recovered = base + entries.length
    if (recovered < acked)
      problems.push(
        `acknowledged up to ${acked} but only ${recovered} recovered: ${acked - recovered} lost`,
      )
    return { recovered, problems }
  } finally {
    await storage.close()
  }
}

/** One round: start the writer on `dir`, let it acknowledge a few batches, SIGKILL it, verify. */
export async function killRound(dir: string, rng: Rng): Promise<RoundResult> {
  const child = startWriter(dir, rng.int(0x7fffffff))
  try {
    await child.waitForAcks(1 + rng.int(40))
    // A random extra delay so the kill lands anywhere: mid-write, mid-fsync, mid-compaction.
    await new Promise((r) => setTimeout(r, rng.int(30)))
  } finally {
    await child.kill()
  }
  const acked = child.acked()
  const { recovered, problems } = await verify(dir, acked)
  return { acked, recovered, problems }
}

export interface SoakResult {
  readonly kills: number
  readonly lost: number
  readonly problems: string[]
}

/** `kills` rounds on one directory (each round continues the previous log). */
export async function killSoak(
  dir: string,
  kills: number,
  seed: number,
  onRound?: (i: number, r: RoundResult) => void,
): Promise<SoakResult> {
  const rng = createRng(seed)
  const problems: string[] = []
  let lost = 0
  for (let i = 0; i < kills; i++) {
    const r = await killRound(dir, rng)
    lost += Math.max(0, r.acked - r.recovered)
    problems.push(...r.problems.map((p) => `kill ${i + 1}: ${p}`))
    onRound?.(i, r)
  }
  return { kills, lost, problems }
}

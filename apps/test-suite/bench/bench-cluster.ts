/**
 * The process cluster of the failover and membership benchmarks (failover-ws.ts,
 * membership-ws.ts, rolling-restart-ws.ts): `raftkit init --nodes N` into a temporary
 * directory, the cluster file edited, N `raftkit serve` processes (WebSocket + FileStorage), a
 * leader waited for, an HttpKvRpc to every node, and a close() that stops every node (even
 * after an error) and removes the directory unless kept. Also the retrying client these
 * benchmarks write with (short per-attempt timeout and backoff, so its pauses add little to
 * what they measure) and waiting for a node to catch up.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SystemClock, createRng } from '@raftkit/raft-core'
import { HttpKvRpc, KvClient, loadClusterConfig } from '@raftkit/kv-service'
import type { ClusterConfig, KvRpcNetwork } from '@raftkit/kv-service'
import {
  ClusterAdmin,
  NodeProcesses,
  delay,
  initClusterDir,
  killEveryChild,
} from '@raftkit/kv-service/chaos'

/** The cluster file's sections a benchmark may edit. */
export interface ClusterFile {
  raft?: object
  server?: object
}

export interface BenchClusterOptions {
  /** Prefix of the temporary directory's name. */
  readonly name: string
  readonly nodes: number
  /** Edits the cluster file before the nodes start. */
  readonly configure?: (file: ClusterFile) => void
  /** 'built': kv-service's built bin when it exists (what users run); 'auto': the sources in a source run. */
  readonly cli?: 'auto' | 'built'
  /** Keep the directory (its path is printed). */
  readonly keep?: boolean
}

export interface BenchCluster {
  readonly dir: string
  readonly config: ClusterConfig
  readonly admin: ClusterAdmin
  readonly nodes: NodeProcesses
  /** HTTP to every node of the cluster file. */
  readonly rpc: HttpKvRpc
  /** Stops every node and removes the directory (unless kept). Idempotent. */
  close(): Promise<void>
}

/** Starts the cluster and waits (60 s) for a leader. The caller must close() it. */
export async function startBenchCluster(o: BenchClusterOptions): Promise<BenchCluster> {
  const dir = await mkdtemp(join(tmpdir(), `raftkit-bench-${o.name}-`))
  let nodes: NodeProcesses | undefined
  let rpc: HttpKvRpc | undefined
  let closing: Promise<void> | undefined
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      rpc?.close()
      if (nodes) await nodes.stopAll(5_000)
      killEveryChild()
      if (o.keep) console.error(`kept ${dir}`)
      else await rm(dir, { recursive: true, force: true })
    })())
  try {
    const configFile = await initClusterDir(dir, o.nodes)
    const file = JSON.parse(await readFile(configFile, 'utf8')) as ClusterFile
    o.configure?.(file)
    await writeFile(configFile, JSON.stringify(file, null, 2))
    const config = await loadClusterConfig(configFile)
    const admin = new ClusterAdmin(config)
    nodes = new NodeProcesses({
      ...(o.cli ? { cli: o.cli } : {}),
      configFile,
      ids: admin.ids,
      logDir: join(dir, 'logs'),
      serveArgs: ['--log-level', 'warn'],
    })
    nodes.startAll()
    await admin.waitForLeader(60_000)
    rpc = new HttpKvRpc({
      endpoints: Object.fromEntries(
        config.nodes.map((n) => [n.id, `${n.http.host}:${n.http.port}`]),
      ),
    })
    return { dir, config, admin, nodes, rpc, close }
  } catch (e) {
    await close()
    throw e
  }
}

/** A KvClient that retries quickly: 200 ms per attempt, 5–20 ms backoff between rounds. */
export function retryingClient(
  servers: readonly string[],
  rpc: KvRpcNetwork,
  seed: number,
  deadlineMs: number,
): KvClient {
  return new KvClient({
    servers,
    rpc,
    clock: new SystemClock(),
    rng: createRng(seed),
    requestTimeoutMs: 200,
    backoff: { initialMs: 5, maxMs: 20, multiplier: 2 },
    deadlineMs,
  })
}

/** Polls until `id` has applied at least `index`; throws after `timeoutMs`. */
export async function waitApplied(
  admin: ClusterAdmin,
  id: string,
  index: number,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const s = await admin.status(id)
    if (s && s.appliedIndex >= index) return
    await delay(50)
  }
  throw new Error(`node ${id} did not apply index ${index} within ${timeoutMs} ms`)
}

/** Waits until the restarted `id` has applied what the current leader has committed. */
export async function waitCaughtUp(admin: ClusterAdmin, id: string): Promise<void> {
  const leader = await admin.waitForLeader(30_000)
  const commit = (await admin.status(leader.id))?.commitIndex ?? 0
  await waitApplied(admin, id, commit)
}

export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0
}

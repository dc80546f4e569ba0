/**
 * A raftkit cluster for the cluster benchmarks (cluster-ws.ts, side-by-side.ts): `raftkit init
 * --nodes N` into a directory, N `raftkit serve` processes (the built bin when it exists;
 * WebSocket peers, FileStorage with the given storageSync), the leader found, and clerks:
 * each its own KvClient with its own at-most-once session id, talking to the leader first —
 * over its own HttpKvRpc (one keep-alive connection; `protocol: 'http'`, the default) or over
 * one WsKvRpc that all clerks share (`protocol: 'ws'`: one WebSocket per server carrying every
 * clerk's requests, as one client process would).
 */
import { readFile, writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { SystemClock, createRng } from '@raftkit/raft-core'
import type { ClusterConfig } from '@raftkit/kv-service'
import { HttpKvRpc, KvClient, WsKvRpc, loadClusterConfig, readClientTls } from '@raftkit/kv-service'
import { ClusterAdmin, NodeProcesses, initClusterDir } from '@raftkit/kv-service/chaos'
import type { ClientSet, Worker } from './closed-loop.js'
import { ClientIds, key, value } from './kv-workload.js'

export interface RaftkitClusterOptions {
  /** An empty directory for the cluster file, data and logs. */
  readonly dir: string
  readonly nodes: number
  readonly storageSync: 'always' | 'never'
  /** Merged into the cluster file's `raft` section. */
  readonly raft?: object
  readonly tls?: boolean
  /** Directory for `node --cpu-prof` profiles of the servers (written on a clean stop). */
  readonly cpuProf?: string | undefined
  /** More `node` flags for the servers (e.g. `--require` a probe). */
  readonly nodeArgs?: readonly string[]
  /** How clerks reach the servers. Default 'http'. */
  readonly protocol?: RaftkitProtocol
}

export type RaftkitProtocol = 'http' | 'ws'

/** --raftkit-protocol's value, checked. */
export function raftkitProtocol(v: string | undefined): RaftkitProtocol {
  if (v === undefined || v === 'http' || v === 'ws') return v ?? 'http'
  throw new RangeError('--raftkit-protocol: http|ws')
}

export interface Clerk {
  readonly client: KvClient
  /** Its own network (http), or nothing to close (ws: the cluster's shared one). */
  readonly rpc: { close(): void }
}

export function closeClerk(c: Clerk): void {
  c.client.close()
  c.rpc.close()
}

export interface RaftkitCluster {
  readonly config: ClusterConfig
  readonly leader: string
  readonly nodes: NodeProcesses
  /** Every server process's pid, by node id. */
  readonly pids: () => Readonly<Record<string, number | undefined>>
  /** The highest commit index any node reports (GET /v1/status of every node). */
  readonly commitIndex: () => Promise<number>
  /** A new clerk with a session id never used before in this run. */
  readonly newClerk: () => Clerk
  /** Writes every key 0..count-1 (128-byte values), 64 clerks at a time. */
  readonly preload: (count: number) => Promise<void>
  /** Stops every node; throws if one had exited unexpectedly before. */
  readonly stop: () => Promise<void>
}

function endpointsOf(config: ClusterConfig): Record<string, string> {
  return Object.fromEntries(config.nodes.map((n) => [n.id, `${n.http.host}:${n.http.port}`]))
}

/** Starts the cluster and waits for a leader (60 s). The caller must call stop(). */
export async function startRaftkitCluster(o: RaftkitClusterOptions): Promise<RaftkitCluster> {
  const configFile = await initClusterDir(o.dir, o.nodes, { tls: o.tls ?? false })
  const file = JSON.parse(await readFile(configFile, 'utf8')) as { server?: object; raft?: object }
  file.server = { ...file.server, storageSync: o.storageSync }
  file.raft = { ...file.raft, ...o.raft }
  await writeFile(configFile, JSON.stringify(file, null, 2))
  const config = await loadClusterConfig(configFile)
  const admin = new ClusterAdmin(config)
  const nodes = new NodeProcesses({
    cli: 'built',
    configFile,
    ids: admin.ids,
    logDir: join(o.dir, 'logs'),
    serveArgs: ['--log-level', 'warn'],
    nodeArgs: [
      ...(o.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProf] : []),
      ...(o.nodeArgs ?? []),
    ],
  })
  let leader: string
  try {
    nodes.startAll()
    const found = await admin.waitForLeader(60_000)
    leader = found.id
    console.error(
      `raftkit cluster ${configFile}: leader ${leader} (term ${found.term}); storageSync ${config.server.storageSync}; tls ${o.tls ?? false}; servers run ${nodes.script}; load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    )
  } catch (e) {
    await nodes.stopAll(5_000)
    throw e
  }
  const clock = new SystemClock()
  const ids = new ClientIds()
  const tls = readClientTls(config)
  const rpcOptions = { endpoints: endpointsOf(config), ...(tls ? { tls } : {}) }
  const shared = o.protocol === 'ws' ? new WsKvRpc(rpcOptions) : undefined
  const newClerk = (): Clerk => {
    const { clientId, seed } = ids.next()
    const rpc = shared ?? new HttpKvRpc(rpcOptions)
    // The leader first: the clerk starts with the first server and remembers who answers.
    const servers = [leader, ...rpc.servers.filter((s) => s !== leader)]
    const client = new KvClient({
      servers,
      rpc,
      clock,
      rng: createRng(seed),
      clientId,
      deadlineMs: 30_000,
    })
    return { client, rpc: shared ? { close: () => undefined } : rpc }
  }
  return {
    config,
    leader,
    nodes,
    pids: () => Object.fromEntries(admin.ids.map((id) => [id, nodes.pid(id)])),
    // The highest commit index any node reports: the node that led at the start may have lost
    // leadership under load and not yet heard the newest commit index, while the node that
    // acknowledged a write has committed it.
    commitIndex: async () => {
      const statuses = await Promise.all(admin.ids.map((id) => admin.status(id, 5_000)))
      const known = statuses.flatMap((s) => (s ? [s.commitIndex] : []))
      if (known.length === 0) throw new Error(`no node reported its status (leader was ${leader})`)
      return Math.max(...known)
    },
    newClerk,
    preload: async (count) => {
      const loaders = Array.from({ length: 64 }, newClerk)
      try {
        for (let i = 0; i < count; i += loaders.length)
          await Promise.all(
            loaders.map(async (c, j) => {
              if (i + j < count) await c.client.put(key(i + j), value)
            }),
          )
      } finally {
        for (const c of loaders) closeClerk(c)
      }
    },
    stop: async () => {
      shared?.close()
      const unexpected = [...nodes.unexpectedExits]
      await nodes.stopAll(5_000)
      if (unexpected.length > 0)
        throw new Error(`nodes exited unexpectedly: ${JSON.stringify(unexpected)}`)
    },
  }
}

/** Each clerk's next operation of the workload: `op` on a random key of `keyCount`. */
export function clerkWorkers(
  clerks: readonly Clerk[],
  op: 'put' | 'get',
  keyCount: number,
  seed: number,
): Worker[] {
  const rng = createRng(seed)
  return clerks.map(({ client }) => () => {
    const k = key(rng.int(keyCount))
    return op === 'put' ? client.put(k, value) : client.get(k)
  })
}

/** n new clerks of the cluster: their workers for one phase, and how to close them. */
export function clerkSet(cluster: RaftkitCluster, n: number, keyCount: number): ClientSet {
  const list = Array.from({ length: n }, cluster.newClerk)
  return {
    workers: (op, seed) => clerkWorkers(list, op, keyCount, seed),
    close: async () => list.forEach(closeClerk),
  }
}

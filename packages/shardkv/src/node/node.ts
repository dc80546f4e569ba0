/**
 * One sharded node as `raftkit serve` runs it (through `raftkit-shard serve`), wired and shut
 * down here and nowhere else:
 *
 * - one WebSocket peer transport (the cluster secret, `limits`) under a MultiRaftNode: every
 *   group's Raft messages share it, with the group id in each message, and one tick timer;
 * - per hosted group one FileStorage directory (`<dataDir>/groups/<group>`), its Raft replica
 *   and its service: the controller replica (`ctrler`) and the replica groups (`g<gid>`);
 * - one HttpShardRpc for controller / group / clerk traffic (local endpoints in-process);
 * - the router and the HTTP server (http-api.ts) on the node's `http` address.
 *
 * With `tls` in the cluster file (kv-service's section and checks: `readNodeTls`, run before
 * anything starts) the peers talk wss://, the HTTP API is HTTPS with the node's certificate, and
 * the node's own calls to other nodes (controller / group / clerk RPC, forwarding, shard pulls)
 * are HTTPS trusting the cluster's CA.
 *
 * Stop order: HTTP stops accepting; the router and the services stop (pending requests answer
 * STOPPED; each Raft replica stops and closes its storage); the MultiRaftNode closes the peer
 * transport; the RPC client and the HTTP listener close last.
 */
import { mkdir } from 'node:fs/promises'
import type { LogFields, Logger, RaftConfig, Status, StorageSize } from '@raftkit/raft-core'
import { SystemClock, createRng, silentLogger } from '@raftkit/raft-core'
import { KvConfigError, peerTransportOptions, readNodeTls } from '@raftkit/kv-service'
import { MultiRaftNode, groupDirectory } from '@raftkit/multiraft'
import { createFileStorage } from '@raftkit/storage-fs'
import { createWsTransport } from '@raftkit/transport-ws'
import { CtrlerClient } from '../ctrler/client.js'
import { ShardCtrlerServer } from '../ctrler/server.js'
import { ShardKvServer } from '../kv/server.js'
import type { ShardStatus } from '../kv/state-machine.js'
import { HttpShardRpc } from '../net/rpc-http-client.js'
import { CTRLER_GROUP, endpointName, groupIdOf } from '../net/rpc-protocol.js'
import { NSHARDS } from '../common.js'
import type { ShardCluster } from './cluster-file.js'
import { ShardHttpServer } from './http-api.js'
import { ShardRouter } from './router.js'
import type { HostedGroup } from './status.js'

export interface RunningShardNode {
  readonly id: string
  readonly http: ShardHttpServer
  readonly router: ShardRouter
  /** Stops everything, in order. Idempotent. */
  stop(): Promise<void>
}

/** Raft settings a group takes from the cluster file (replication buffers stay multiraft's). */
function groupRaftConfig(raft: RaftConfig): Partial<Omit<RaftConfig, 'tickMs'>> {
  const { tickMs: _t, maxInflightAppends: _i, maxBytesPerAppend: _b, ...rest } = raft
  return rest
}

/** `logger` with a `group` field on every record. */
function withGroup(logger: Logger, group: string): Logger {
  const f = (fields?: LogFields): LogFields => ({ group, ...fields })
  return {
    debug: (m, x) => logger.debug(m, f(x)),
    info: (m, x) => logger.info(m, f(x)),
    warn: (m, x) => logger.warn(m, f(x)),
    error: (m, x) => logger.error(m, f(x)),
  }
}

const hostPort = (a: { host: string; port: number }): string =>
  a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`

export async function startShardNode(
  cluster: ShardCluster,
  id: string,
  logger: Logger = silentLogger,
): Promise<RunningShardNode> {
  const { config, shard } = cluster
  const self = config.nodes.find((n) => n.id === id)
  if (!self)
    throw new KvConfigError(
      '--id',
      `no node "${id}" in the cluster file (nodes: ${config.nodes.map((n) => n.id).join(', ')})`,
    )
  const tls = await readNodeTls(config, id)
  for (const warning of tls?.warnings ?? []) logger.warn(warning, { id })
  await mkdir(self.dataDir, { recursive: true, mode: 0o700 })
  const clock = new SystemClock()
  const peers: Record<string, string> = {}
  const addresses: Record<string, string> = {}
  for (const n of config.nodes) {
    addresses[n.id] = hostPort(n.http)
    if (n.id !== id) peers[n.id] = hostPort(n.peer)
  }
  const transport = await createWsTransport(
    peerTransportOptions({ config, self, peers, tls: tls?.files, logger, clock }),
  )
  const node = new MultiRaftNode({ transport, clock, tickMs: config.raft.tickMs, logger })
  const rpc = new HttpShardRpc({
    addresses,
    secret: config.secret,
    maxReplyBytes: shard.maxMigrationBytes,
    maxRequestBytes: config.limits.maxValueBytes + config.limits.maxKeyBytes + 64 * 1024,
    ...(tls ? { tls: tls.material.ca ? { ca: tls.material.ca } : {} } : {}),
  })
  const ctrlers = shard.ctrler.map((n) => endpointName(CTRLER_GROUP, n))
  const hosted: HostedGroup[] = []
  const stoppers: Array<() => Promise<void>> = []
  const raftConfig = groupRaftConfig(config.raft)

  const startGroup = async (group: string, peersOf: readonly string[]) => {
    const log = withGroup(logger, group)
    const storage = await createFileStorage({
      dir: groupDirectory(self.dataDir, group),
      sync: config.server.storageSync,
      logger: log,
    })
    const raft = await node.startGroup(group, {
      peers: peersOf,
      storage,
      config: raftConfig,
      logger: log,
    })
    return { raft, storageSize: (): StorageSize => storage.size() }
  }

  try {
    if (shard.ctrler.includes(id)) {
      const { raft, storageSize } = await startGroup(CTRLER_GROUP, shard.ctrler)
      const ctrler = new ShardCtrlerServer({
        raft,
        clock,
        storageSize,
        maxRaftState: shard.maxRaftState,
        sessionExpiryEntries: shard.sessionExpiryEntries,
        logger,
      })
      rpc.register(endpointName(CTRLER_GROUP, id), (req) => ctrler.handle(req))
      hosted.push({ id: CTRLER_GROUP, status: (): Status => raft.status() })
      stoppers.push(() => ctrler.kill())
    }
    for (const g of shard.groups) {
      if (!g.nodes.includes(id)) continue
      const group = groupIdOf(g.gid)
      const { raft, storageSize } = await startGroup(group, g.nodes)
      const name = endpointName(group, id)
      const server = new ShardKvServer({
        gid: g.gid,
        name,
        raft,
        clock,
        rpc,
        ctrlers,
        maxRaftState: shard.maxRaftState,
        sessionExpiryEntries: shard.sessionExpiryEntries,
        storageSize,
        rng: createRng((Date.now() ^ g.gid) & 0x7fffffff),
        logger,
      })
      rpc.register(name, (req) => server.handle(req))
      const sm = server.stateMachine
      hosted.push({
        id: group,
        status: (): Status => raft.status(),
        shards: () => ({
          config: sm.config.num,
          status: Array.from({ length: NSHARDS }, (_, s): ShardStatus => sm.status(s)),
          keys: sm.keyCount(),
        }),
      })
      stoppers.push(() => server.kill())
    }
  } catch (e) {
    for (const stop of stoppers) await stop().catch(() => undefined)
    await node.close()
    rpc.close()
    throw e
  }

  const ctrlerClerk = new CtrlerClient({
    rpc,
    servers: ctrlers,
    clock,
    name: endpointName('router', id),
    rng: createRng(Date.now() & 0x7fffffff),
  })
  const router = new ShardRouter({ rpc, ctrler: ctrlerClerk, clock, self: id })
  let http: ShardHttpServer
  try {
    http = await ShardHttpServer.start({
      id,
      host: self.http.host,
      port: self.http.port,
      secret: config.secret,
      rpc,
      router,
      groups: () => hosted,
      maxKeyBytes: config.limits.maxKeyBytes,
      maxValueBytes: config.limits.maxValueBytes,
      requestTimeoutMs: config.client.deadlineMs,
      limits: config.http,
      logger,
      faults: { controls: transport.faults, nodes: config.nodes.map((n) => n.id) },
      ...(tls ? { tls: { cert: tls.material.cert, key: tls.material.key } } : {}),
    })
  } catch (e) {
    router.close()
    ctrlerClerk.close()
    for (const stop of stoppers) await stop().catch(() => undefined)
    await node.close()
    rpc.close()
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES')
      throw new KvConfigError('http', `cannot listen on ${hostPort(self.http)}: ${code}`)
    throw e
  }
  logger.info('shard node started', {
    id,
    http: http.address,
    tls: tls !== undefined,
    groups: hosted.map((g) => g.id),
    dataDir: self.dataDir,
  })
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      http.stopAccepting()
      router.close()
      ctrlerClerk.close()
      for (const s of stoppers) await s().catch(() => undefined)
      await node.close()
      rpc.close()
      await http.close()
      logger.info('shard node stopped', { id })
    })()
    return stopping
  }
  return { id, http, router, stop }
}

/**
 * One raftkit node as `raftkit serve` runs it: FileStorage in the node's dataDir, the WebSocket
 * peer transport, a Raft node, the key/value service and its HTTP API. With `tls` in the
 * cluster file, peers talk wss:// and the API is HTTPS, both with the node's certificate; the
 * TLS files are checked before anything starts (KvConfigError naming the field and the file).
 * Membership: the transport's peers and the redirect addresses follow the configuration and
 * the replicated address book (membership.ts); `join` starts a new, empty node that waits to
 * be added (raftkit serve --join).
 */
import type { Logger } from '@raftkit/raft-core'
import { Raft, StorageLockedError, SystemClock, silentLogger } from '@raftkit/raft-core'
import { createFileStorage } from '@raftkit/storage-fs'
import { createWsTransport } from '@raftkit/transport-ws'
import type { ClusterConfig } from '../config/cluster-config.js'
import { findNode, formatHostPort } from '../config/cluster-config.js'
import { prepareDataDir } from '../config/data-dir.js'
import { peerTransportOptions } from '../config/peer-transport.js'
import { readNodeTls } from '../config/tls.js'
import { KvHttpServer } from '../http/server.js'
import { KvConfigError } from '../errors.js'
import { MemberDirectory } from '../membership.js'
import { KvServer } from '../server.js'
import type { MemberAddress } from '../state-machine.js'

export interface RunningNode {
  readonly id: string
  readonly kv: KvServer
  readonly http: KvHttpServer
  readonly directory: MemberDirectory
  /** Stops accepting HTTP, stops the service and Raft (flushing storage), closes HTTP. Idempotent. */
  stop(): Promise<void>
}

export async function startNode(
  config: ClusterConfig,
  id: string,
  logger: Logger = silentLogger,
  options: {
    /** Start empty and wait to be added (Raft `join`); `id` must not be an initial voter. */
    readonly join?: boolean
    /** Addresses of members the cluster file does not name (asked of the cluster on --join). */
    readonly addresses?: ReadonlyMap<string, MemberAddress>
  } = {},
): Promise<RunningNode> {
  const self = findNode(config, id)
  const tls = await readNodeTls(config, id)
  for (const warning of tls?.warnings ?? []) logger.warn(warning, { id })
  const clock = new SystemClock()
  const field = `nodes[${config.nodes.indexOf(self)}]`
  await prepareDataDir(self.dataDir, `${field}.dataDir`)
  let storage
  try {
    storage = await createFileStorage({
      dir: self.dataDir,
      sync: config.server.storageSync,
      ...(config.server.storagePreallocateBytes === undefined
        ? {}
        : { preallocateBytes: config.server.storagePreallocateBytes }),
      ...(config.server.storageInlineSync === undefined
        ? {}
        : { inlineSync: config.server.storageInlineSync }),
      logger,
    })
  } catch (e) {
    if (e instanceof StorageLockedError || (e as NodeJS.ErrnoException).code !== undefined)
      throw new KvConfigError(`${field}.dataDir`, `${self.dataDir}: ${(e as Error).message}`)
    throw e
  }
  const initial = new Map<string, MemberAddress>()
  for (const n of config.nodes)
    initial.set(n.id, { peer: formatHostPort(n.peer), http: formatHostPort(n.http) })
  for (const [n, a] of options.addresses ?? []) initial.set(n, a)
  const peers: Record<string, string> = {}
  for (const [n, a] of initial) if (n !== id) peers[n] = a.peer
  let transport
  try {
    transport = await createWsTransport(
      peerTransportOptions({ config, self, peers, tls: tls?.files, logger, clock }),
    )
  } catch (e) {
    await storage.close()
    throw addressError(e, `${field}.peer`, formatHostPort(self.peer))
  }
  let raft: Raft
  try {
    raft = await Raft.create({
      id,
      peers: config.nodes.map((n) => n.id),
      ...(options.join === true ? { join: true } : {}),
      transport,
      storage,
      clock,
      logger,
      config: config.raft,
    })
  } catch (e) {
    await Promise.allSettled([transport.close(), storage.close()])
    throw e
  }
  const kv = KvServer.create({
    raft,
    clock,
    storageSize: () => storage.size(),
    maxRaftState: config.server.maxRaftState,
    requestTimeoutMs: config.server.requestTimeoutMs,
    sessionExpiryEntries: config.server.sessionExpiryEntries,
    maxValueBytes: config.limits.maxValueBytes,
    logger,
  })
  const directory = new MemberDirectory({
    self: id,
    initial,
    membership: () => raft.membership().current,
    committed: () => raft.membership().committed,
    book: () => kv.stateMachine.addressBook(),
    setPeers: (p) => transport.setPeers(p),
    logger,
  })
  raft.onMembershipChange(() => directory.refresh())
  kv.stateMachine.onAddresses(() => directory.refresh())
  const httpAddresses = directory.httpAddresses
  let http: KvHttpServer
  try {
    http = await KvHttpServer.start({
      kv,
      httpAddresses,
      maxKeyBytes: config.limits.maxKeyBytes,
      maxValueBytes: config.limits.maxValueBytes,
      limits: config.http,
      host: self.http.host,
      port: self.http.port,
      secret: config.secret,
      faults: transport.faults,
      members: { raft, kv, directory },
      counters: { transport: () => transport.stats(), storage: () => storage.stats() },
      logger,
      ...(tls ? { tls: { cert: tls.material.cert, key: tls.material.key } } : {}),
    })
  } catch (e) {
    await kv.kill()
    throw addressError(e, `${field}.http`, formatHostPort(self.http))
  }
  logger.info('node started', {
    id,
    peer: formatHostPort(self.peer),
    http: `${http.scheme}://${http.address}`,
    dataDir: self.dataDir,
    tls: tls !== undefined,
  })
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      http.stopAccepting()
      await kv.kill() // answers pending requests STOPPED, kills Raft: closes transport + storage
      await http.close()
      logger.info('node stopped', { id })
    })()
    return stopping
  }
  return { id, kv, http, directory, stop }
}

/** A listen failure (address in use, not local, not permitted) as an error naming the field. */
function addressError(e: unknown, field: string, address: string): unknown {
  const code = (e as NodeJS.ErrnoException).code
  if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES')
    return new KvConfigError(field, `cannot listen on ${address}: ${(e as Error).message}`)
  return e
}

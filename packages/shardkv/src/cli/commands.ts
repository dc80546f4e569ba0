/**
 * The sharded cluster's commands of the `raftkit` command line. kv-service's `raftkit` bin hands
 * them over (in-process, see kv-service src/cli/extension.ts): `init --groups`, `shard ...`,
 * and `serve`/`put`/`get`/`append`/`status` given a cluster file with a `shard` section.
 * Each command returns the exit code: 0 success, 1 the operation failed, 2 bad usage or
 * configuration.
 */
import {
  KvConfigError,
  TlsError,
  checkKvCommandArgs,
  createPinoLogger,
  logLevelFlag,
  runKvCommand,
} from '@raftkit/kv-service'
import { CtrlerRequestError } from '../ctrler/client.js'
import type { CtrlerClient } from '../ctrler/client.js'
import { kvRpcOf, shardRpcOf } from './clients.js'
import { ctrlerCall } from './ctrler-call.js'
import { ShardRpcAuthError, endpointName, groupIdOf } from '../net/rpc-protocol.js'
import type { ShardCluster } from '../node/cluster-file.js'
import { initShardCluster, loadShardCluster } from '../node/cluster-file.js'
import { ShardKvHttpClient } from '../node/http-client.js'
import { startShardNode } from '../node/node.js'
import { ShardUsageError, integer, parse, required } from './args.js'
import type { Values } from './args.js'
import { renderConfig, renderStatusTable, statusOfNodes } from './render.js'

export const SHARD_USAGE = `Sharded clusters (@raftkit/shardkv):
  raftkit init  --groups G --nodes N --dir D [--host 127.0.0.1] [--tls]
                                a cluster file for N local nodes, each hosting a controller
                                replica and a replica of each of G groups (gids 100, 101, ...);
                                --tls also makes a CA and a certificate per node in D/tls
                                (openssl): peers talk wss://, the HTTP API and RPC are HTTPS
  raftkit serve --config F --id ID [--log-level L] [--set path=value ...]
  raftkit shard join GID...     --config F [--timeout MS]   groups start serving shards
  raftkit shard leave GID...    --config F [--timeout MS]   their shards move to the others
  raftkit shard move SHARD GID  --config F [--timeout MS]
  raftkit shard query [NUM]     --config F [--json]         a configuration (default: latest)
  raftkit put|append KEY VALUE  --config F [--timeout MS]
  raftkit get KEY               --config F [--timeout MS]
  raftkit status                --config F                  every node's groups and shards
`

export interface ShardIo {
  readonly out: (text: string) => void
  readonly err: (text: string) => void
  /** Resolves when the user asks to stop (SIGINT/SIGTERM). */
  readonly interrupted: Promise<void>
}

/** Runs one sharded command line; never throws (errors are printed, the exit code tells). */
export async function runShardCli(argv: readonly string[], io: ShardIo): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'init':
        return await cmdInit(rest, io)
      case 'serve':
        return await cmdServe(rest, io)
      case 'shard':
        return await cmdShard(rest, io)
      case 'put':
      case 'append':
      case 'get':
        return await cmdKv(command, rest, io)
      case 'status':
        return await cmdStatus(rest, io)
      case undefined:
        io.out(SHARD_USAGE)
        return 2
      default:
        io.out(SHARD_USAGE)
        return command === 'help' || command === '--help' ? 0 : 2
    }
  } catch (e) {
    const where = `raftkit ${command ?? ''}${command === 'shard' && rest[0] ? ` ${rest[0]}` : ''}`
    if (e instanceof ShardUsageError) {
      io.err(`${where}: ${e.message}\n\n${SHARD_USAGE}`)
      return 2
    }
    // Configuration problems retrying does not fix: a wrong secret, a TLS setup that cannot work.
    if (e instanceof KvConfigError || e instanceof TlsError || e instanceof ShardRpcAuthError) {
      io.err(`${where}: ${e.message}\n`)
      return 2
    }
    io.err(`${where}: ${e instanceof Error ? e.message : String(e)}\n`)
    return 1
  }
}

async function cmdInit(argv: readonly string[], io: ShardIo): Promise<number> {
  const { values } = parse(
    argv,
    {
      groups: { type: 'string' },
      nodes: { type: 'string' },
      dir: { type: 'string' },
      host: { type: 'string' },
      tls: { type: 'boolean' },
    },
    { min: 0, max: 0 },
  )
  const cluster = await initShardCluster({
    tls: values.tls === true,
    groups: integer('--groups', required(values, 'groups'), 1),
    nodes: integer('--nodes', required(values, 'nodes'), 1),
    dir: required(values, 'dir'),
    ...(typeof values.host === 'string' ? { host: values.host } : {}),
  })
  io.out(`wrote ${cluster.file}\n`)
  const scheme = cluster.config.tls ? 'https' : 'http'
  for (const n of cluster.config.nodes)
    io.out(
      `  ${n.id}: peer ${n.peer.host}:${n.peer.port}  http ${scheme}://${n.http.host}:${n.http.port}\n`,
    )
  if (cluster.config.tls?.caFile !== undefined)
    io.out(`  TLS: CA ${cluster.config.tls.caFile} (clients: --config ${cluster.file})\n`)
  io.out(`  controller on ${cluster.shard.ctrler.join(', ')}\n`)
  for (const g of cluster.shard.groups) io.out(`  group ${g.gid} on ${g.nodes.join(', ')}\n`)
  io.out('start each node with raftkit serve, then add groups with raftkit shard join GID\n')
  return 0
}

async function cmdServe(argv: readonly string[], io: ShardIo): Promise<number> {
  const { values } = parse(
    argv,
    {
      config: { type: 'string' },
      id: { type: 'string' },
      'log-level': { type: 'string' },
      set: { type: 'string', multiple: true },
    },
    { min: 0, max: 0 },
  )
  // True once a signal came: one that came before start-up (e.g. while the CLI was loading)
  // reads true after the first await below, and the node is then not started at all.
  let signalled = false
  void io.interrupted.then(() => (signalled = true))
  const cluster = await loadShardCluster(
    required(values, 'config'),
    (values.set as string[] | undefined) ?? [],
  )
  const id = required(values, 'id')
  const logger = createPinoLogger(logLevelFlag(values, cluster.config.logLevel), { node: id })
  if (signalled) {
    logger.info('stopping on signal before start-up', { id })
    return 0
  }
  const starting = startShardNode(cluster, id, logger)
  const first = await Promise.race([
    starting.then((node) => ({ node })),
    io.interrupted.then(() => 'interrupted' as const),
  ])
  if (first === 'interrupted') {
    void starting.then(
      (n) => n.stop(),
      () => undefined,
    )
    return 0
  }
  await io.interrupted
  logger.info('stopping on signal', { id })
  await first.node.stop()
  return 0
}

const CLIENT_OPTIONS = {
  config: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
} as const

function deadlineOf(values: Values, cluster: ShardCluster): number {
  return values.timeout === undefined
    ? cluster.config.client.deadlineMs
    : integer('--timeout', values.timeout, 1)
}

/** Runs `fn` with a controller clerk over the cluster's RPC; gives up after `deadlineMs`. */
async function withCtrler<T>(
  cluster: ShardCluster,
  deadlineMs: number,
  fn: (c: CtrlerClient) => Promise<T>,
): Promise<T> {
  const rpc = shardRpcOf(cluster)
  try {
    return await ctrlerCall(rpc, cluster, 'cli', deadlineMs, fn)
  } finally {
    rpc.close()
  }
}

async function cmdShard(argv: readonly string[], io: ShardIo): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === undefined || sub === 'help' || sub === '--help') {
    io.out(SHARD_USAGE)
    return sub === undefined ? 2 : 0
  }
  const { values, positionals } = parse(rest, CLIENT_OPTIONS, {
    min: sub === 'query' ? 0 : sub === 'move' ? 2 : 1,
    max: sub === 'query' ? 1 : sub === 'move' ? 2 : 100,
  })
  const cluster = await loadShardCluster(required(values, 'config'))
  const deadline = deadlineOf(values, cluster)
  const groupOf = (text: string, i: number): number => {
    const gid = integer(`GID[${i}]`, text, 1)
    if (!cluster.shard.groups.some((g) => g.gid === gid))
      throw new KvConfigError(
        `GID[${i}]`,
        `no group ${gid} in the cluster file (groups: ${cluster.shard.groups.map((g) => g.gid).join(', ')})`,
      )
    return gid
  }
  try {
    switch (sub) {
      case 'join': {
        const groups: Record<number, string[]> = {}
        positionals.forEach((p, i) => {
          const gid = groupOf(p, i)
          const spec = cluster.shard.groups.find((g) => g.gid === gid)
          groups[gid] = (spec?.nodes ?? []).map((n) => endpointName(groupIdOf(gid), n))
        })
        await withCtrler(cluster, deadline, (c) => c.join(groups))
        break
      }
      case 'leave': {
        const gids = positionals.map(groupOf)
        await withCtrler(cluster, deadline, (c) => c.leave(gids))
        break
      }
      case 'move': {
        const shard = integer('SHARD', positionals[0])
        const gid = groupOf(positionals[1] as string, 1)
        await withCtrler(cluster, deadline, (c) => c.move(shard, gid))
        break
      }
      case 'query': {
        const num = positionals[0] === undefined ? -1 : integer('NUM', positionals[0])
        const config = await withCtrler(cluster, deadline, (c) => c.query(num))
        io.out(values.json === true ? JSON.stringify(config) + '\n' : renderConfig(config))
        return 0
      }
      default:
        throw new ShardUsageError(`unknown shard command ${JSON.stringify(sub ?? '')}`)
    }
  } catch (e) {
    if (e instanceof CtrlerRequestError) {
      io.err(`raftkit shard ${sub}: refused: ${e.message}\n`)
      return 1
    }
    throw e
  }
  const latest = await withCtrler(cluster, deadline, (c) => c.query(-1))
  io.out(`OK\n${renderConfig(latest)}`)
  return 0
}

async function cmdKv(
  op: 'put' | 'append' | 'get',
  argv: readonly string[],
  io: ShardIo,
): Promise<number> {
  const n = op === 'get' ? 1 : 2
  const { values, positionals } = parse(argv, CLIENT_OPTIONS, { min: n, max: n })
  const [key, value] = positionals as [string, string | undefined]
  checkKvCommandArgs(key, value)
  const cluster = await loadShardCluster(required(values, 'config'))
  const deadlineMs = deadlineOf(values, cluster)
  const rpc = kvRpcOf(cluster)
  const client = new ShardKvHttpClient({ rpc, deadlineMs })
  try {
    return await runKvCommand(op, key, value, client, io, deadlineMs)
  } finally {
    client.close()
    rpc.close()
  }
}

async function cmdStatus(argv: readonly string[], io: ShardIo): Promise<number> {
  const { values } = parse(argv, CLIENT_OPTIONS, { min: 0, max: 0 })
  const cluster = await loadShardCluster(required(values, 'config'))
  const rpc = kvRpcOf(cluster)
  try {
    const views = await statusOfNodes(rpc, 2000)
    io.out(values.json === true ? JSON.stringify(views) + '\n' : renderStatusTable(views))
    return views.some((v) => v.status) ? 0 : 1
  } finally {
    rpc.close()
  }
}

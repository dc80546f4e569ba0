/**
 * The client commands: `raftkit put|append|get` (through KvClient, over HTTP or the WebSocket
 * RPC) and `raftkit status` (every node's /v1/status as a table). Each finds the nodes from a
 * cluster file (--config) or a list of endpoints (--endpoints), with TLS trust from the file's
 * CA or --ca.
 */
import { SystemClock } from '@raftkit/raft-core'
import { KvClient } from '../client.js'
import type { ClusterConfig } from '../config/cluster-config.js'
import {
  DEFAULT_CLIENT_SETTINGS,
  formatHostPort,
  loadClusterConfig,
  parseHostPort,
} from '../config/cluster-config.js'
import { readCaFileSync, readClientTls } from '../config/tls.js'
import { KvConfigError } from '../errors.js'
import { HttpKvRpc } from '../http/client-rpc.js'
import { WsKvRpc } from '../http/ws-client-rpc.js'
import type { Io, Values } from './args.js'
import { UsageError, intFlag, parse } from './args.js'
import { checkKvCommandArgs, runKvCommand } from './kv-command.js'
import { pollStatuses, renderTable, statusRpc } from './local-cluster.js'
import type { NodeView } from './local-cluster.js'

export const CLIENT_OPTIONS = {
  config: { type: 'string' },
  endpoints: { type: 'string' },
  ca: { type: 'string' },
  timeout: { type: 'string' },
} as const
const KV_OPTIONS = { ...CLIENT_OPTIONS, protocol: { type: 'string' } } as const

/** What a client command connects with: the endpoints (by name) and TLS trust. */
export interface ClientTarget {
  readonly endpoints: Record<string, string>
  readonly tls?: { readonly ca?: string | Buffer }
}

export async function clientSetup(
  values: Values,
): Promise<{ target: ClientTarget; config?: ClusterConfig; deadlineMs: number }> {
  const endpoints = values.endpoints
  const file = values.config
  if ((typeof endpoints === 'string') === (typeof file === 'string'))
    throw new UsageError('give either --config or --endpoints')
  const ca = values.ca
  if (ca !== undefined && (typeof ca !== 'string' || ca.length === 0))
    throw new UsageError('--ca needs the path of a PEM CA certificate')
  let config: ClusterConfig | undefined
  let target: ClientTarget
  if (typeof file === 'string') {
    config = await loadClusterConfig(file)
    const map: Record<string, string> = {}
    for (const n of config.nodes) map[n.id] = formatHostPort(n.http)
    const tls = readClientTls(config, ca)
    target = { endpoints: map, ...(tls ? { tls } : {}) }
  } else {
    const list = (endpoints as string).split(',').filter((e) => e.length > 0)
    if (list.length === 0) throw new KvConfigError('--endpoints', 'expected host:port,...')
    const map: Record<string, string> = {}
    list.forEach((e, i) => {
      const { name, address } = parseEndpoint(`--endpoints[${i}]`, e)
      map[name] = address
    })
    const https = Object.values(map).some((a) => a.startsWith('https://'))
    const tls = ca !== undefined ? { ca: readCaFileSync('--ca', ca) } : https ? {} : undefined
    target = { endpoints: map, ...(tls ? { tls } : {}) }
  }
  const deadlineMs = intFlag(
    values,
    'timeout',
    config?.client.deadlineMs ?? DEFAULT_CLIENT_SETTINGS.deadlineMs,
  )
  return { target, deadlineMs, ...(config ? { config } : {}) }
}

/** --protocol's network: HTTP (the default) or the WebSocket RPC. */
function kvRpc(values: Values, target: ClientTarget): HttpKvRpc | WsKvRpc {
  const protocol = values.protocol ?? 'http'
  if (protocol === 'http') return new HttpKvRpc(target)
  if (protocol === 'ws') return new WsKvRpc(target)
  throw new UsageError('--protocol must be http or ws')
}

export function clientRpc(config: ClusterConfig): HttpKvRpc {
  return statusRpc(config)
}

/** "host:port", "http://host:port" or "https://host:port" → its name ("host:port") and URL. */
function parseEndpoint(field: string, text: string): { name: string; address: string } {
  const m = /^(https?):\/\/([^/?#]+)\/?$/i.exec(text)
  if (!m) {
    const hp = parseHostPort(field, text)
    return { name: formatHostPort(hp), address: formatHostPort(hp) }
  }
  const hp = parseHostPort(field, m[2])
  return {
    name: formatHostPort(hp),
    address: `${(m[1] as string).toLowerCase()}://${formatHostPort(hp)}`,
  }
}

export async function cmdKv(
  op: 'put' | 'append' | 'get',
  argv: readonly string[],
  io: Io,
): Promise<number> {
  const { values, positionals } = parse(argv, KV_OPTIONS, op === 'get' ? 1 : 2)
  const [key, value] = positionals as [string, string | undefined]
  checkKvCommandArgs(key, value)
  const { target, config, deadlineMs } = await clientSetup(values)
  const rpc = kvRpc(values, target)
  const settings = config?.client ?? DEFAULT_CLIENT_SETTINGS
  const client = new KvClient({
    servers: rpc.servers,
    rpc,
    clock: new SystemClock(),
    requestTimeoutMs: Math.min(settings.requestTimeoutMs, deadlineMs),
    deadlineMs,
    backoff: settings.backoff,
  })
  try {
    return await runKvCommand(
      op,
      key,
      value,
      client,
      io,
      deadlineMs,
      ' (is a majority of the nodes up?)',
    )
  } finally {
    client.close()
    rpc.close()
  }
}

export async function cmdStatus(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parse(argv, CLIENT_OPTIONS, 0)
  const { target, config } = await clientSetup(values)
  const rpc = new HttpKvRpc(target)
  try {
    const views: NodeView[] = config
      ? await pollStatuses(config, rpc, 1000)
      : await Promise.all(
          rpc.servers.map(async (name): Promise<NodeView> => {
            try {
              return {
                id: name,
                http: name,
                status: (await rpc.getJson(name, '/v1/status', 1000)) as NodeView['status'] &
                  object,
              }
            } catch (e) {
              return { id: name, http: name, error: (e as Error).message }
            }
          }),
        )
    io.out(renderTable(views) + '\n')
    return views.some((v) => v.status) ? 0 : 1
  } finally {
    rpc.close()
  }
}

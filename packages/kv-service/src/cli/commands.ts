/** The `raftkit` commands. Each returns the process exit code. */
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { SystemClock } from '@raftkit/raft-core'
import { KvClient } from '../client.js'
import type { ClusterConfig, ServiceLogLevel } from '../config/cluster-config.js'
import {
  DEFAULT_CLIENT_SETTINGS,
  LOG_LEVELS,
  formatHostPort,
  loadClusterConfig,
  parseHostPort,
} from '../config/cluster-config.js'
import { initCluster } from '../config/init.js'
import { readCaFileSync, readClientTls } from '../config/tls.js'
import { KvConfigError, TlsError } from '../errors.js'
import { HttpKvRpc } from '../http/client-rpc.js'
import { WsKvRpc } from '../http/ws-client-rpc.js'
import { cmdChaos } from './chaos.js'
import { checkKvCommandArgs, runKvCommand } from './kv-command.js'
import { isShardCommand, runShardCommand } from './extension.js'
import { LocalCluster, pollStatuses, renderTable, sleep, statusRpc } from './local-cluster.js'
import type { NodeView } from './local-cluster.js'
import { createPinoLogger } from './logging.js'
import {
  MEMBER_USAGE,
  MemberUsageError,
  cmdMember,
  cmdTransferLeader,
  startJoiningNode,
} from './member.js'
import { startNode } from './node.js'
import { stopRequested } from './stop-request.js'

export const USAGE = `raftkit — a replicated key/value store on Raft

Usage:
  raftkit init    --nodes N --dir D [--host 127.0.0.1] [--tls]
                                write D/cluster.json (free loopback ports); --tls also makes a CA
                                and a certificate per node in D/tls (needs the openssl command)
  raftkit serve   --config F --id ID [--log-level L] [--set path=value ...]
  raftkit cluster --nodes N --dir D [--log-level L] [--tls] init (unless D/cluster.json exists) and run
                                                            N local nodes with a live status table
  raftkit put    KEY VALUE  (--config F | --endpoints E,...) [--ca FILE] [--timeout MS] [--protocol P]
  raftkit append KEY VALUE  (--config F | --endpoints E,...) [--ca FILE] [--timeout MS] [--protocol P]
  raftkit get    KEY        (--config F | --endpoints E,...) [--ca FILE] [--timeout MS] [--protocol P]
  raftkit status            (--config F | --endpoints E,...) [--ca FILE]
                                E: host:port or https://host:port. With a TLS cluster file the
                                clients use HTTPS and trust its tls.caFile; --ca FILE trusts
                                that PEM CA instead (and makes host:port endpoints https://).
                                P: http (default) or ws (the nodes' WebSocket RPC, /v1/rpc)
${MEMBER_USAGE}
  raftkit demo   [--dir D]                                   3 local nodes, a short workload, live status
  raftkit chaos  [--config F | --nodes N [--groups G] --dir D] [--duration 60s] [--seed S] ...
                                                            the chaos monkey (raftkit chaos --help)

Sharded clusters (with @raftkit/shardkv installed; \`raftkit shard help\` for the details):
  raftkit init --groups G --nodes N --dir D     controller + G replica groups on N local nodes
  raftkit shard join|leave|move|query ...       serve, put, get, append and status take a
                                                sharded cluster file as they take any other

Exit codes: 0 success, 1 the operation failed, 2 bad usage or configuration.
`

export interface Io {
  readonly out: (text: string) => void
  readonly err: (text: string) => void
  /** Resolves when the user asks to stop (SIGINT/SIGTERM). */
  readonly interrupted: Promise<void>
}

class UsageError extends Error {}

type Values = Record<string, string | boolean | string[] | undefined>

function parse(
  argv: readonly string[],
  options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>,
  positionals: number,
): { values: Values; positionals: string[] } {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      options,
      allowPositionals: positionals > 0,
      strict: true,
    })
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
  if (parsed.positionals.length !== positionals)
    throw new UsageError(
      `expected ${positionals} argument${positionals === 1 ? '' : 's'}, got ${parsed.positionals.length}`,
    )
  return { values: parsed.values as Values, positionals: parsed.positionals }
}

function required(values: Values, name: string): string {
  const v = values[name]
  if (typeof v !== 'string' || v.length === 0) throw new UsageError(`--${name} is required`)
  return v
}

function intFlag(values: Values, name: string, fallback?: number): number {
  const v = values[name]
  if (v === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`)
    return fallback
  }
  const n = Number(v)
  if (typeof v !== 'string' || !/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1)
    throw new KvConfigError(`--${name}`, `expected a positive integer, got ${JSON.stringify(v)}`)
  return n
}

function logLevel(values: Values, fallback: ServiceLogLevel): ServiceLogLevel {
  const v = values['log-level']
  if (v === undefined) return fallback
  if (!LOG_LEVELS.includes(v as ServiceLogLevel))
    throw new KvConfigError('--log-level', `expected one of ${LOG_LEVELS.join(', ')}`)
  return v as ServiceLogLevel
}

/** Runs one command line; never throws (errors are printed, the exit code tells). */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = argv
  try {
    if (await isShardCommand(argv)) return await runShardCommand(argv, io)
    switch (command) {
      case 'init':
        return await cmdInit(rest, io)
      case 'serve':
        if (rest.includes('--join')) {
          const node = await startJoiningNode(rest, io)
          if (node === 'interrupted') return 0
          await io.interrupted
          await node.stop()
          return 0
        }
        return await cmdServe(rest, io)
      case 'member':
        return await cmdMember(rest, io)
      case 'transfer-leader':
        return await cmdTransferLeader(rest, io)
      case 'cluster':
        return await cmdCluster(rest, io, false)
      case 'demo':
        return await cmdCluster(rest, io, true)
      case 'put':
      case 'append':
      case 'get':
        return await cmdKv(command, rest, io)
      case 'status':
        return await cmdStatus(rest, io)
      case 'chaos':
        return await cmdChaos(rest, io)
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE)
        return command === undefined ? 2 : 0
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`)
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof MemberUsageError) {
      io.err(`raftkit ${command ?? ''}: ${e.message}\n\n${USAGE}`)
      return 2
    }
    if (e instanceof KvConfigError || e instanceof TlsError) {
      io.err(`raftkit ${command ?? ''}: ${e.message}\n`)
      return 2
    }
    io.err(`raftkit ${command ?? ''}: ${e instanceof Error ? e.message : String(e)}\n`)
    return 1
  }
}

// ---- init / serve ----------------------------------------------------------------------------

async function cmdInit(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parse(
    argv,
    {
      nodes: { type: 'string' },
      dir: { type: 'string' },
      host: { type: 'string' },
      tls: { type: 'boolean' },
    },
    0,
  )
  const { file, config } = await initCluster({
    nodes: intFlag(values, 'nodes'),
    dir: required(values, 'dir'),
    ...(typeof values.host === 'string' ? { host: values.host } : {}),
    tls: values.tls === true,
  })
  io.out(`wrote ${file}\n`)
  const scheme = config.tls ? 'https' : 'http'
  for (const n of config.nodes)
    io.out(
      `  ${n.id}: peer ${formatHostPort(n.peer)}  ${scheme} ${formatHostPort(n.http)}  data ${n.dataDir}\n`,
    )
  if (config.tls?.caFile !== undefined)
    io.out(
      `TLS: CA ${config.tls.caFile} (clients: --config ${file}, or --ca ${config.tls.caFile})\n`,
    )
  return 0
}

async function cmdServe(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parse(
    argv,
    {
      config: { type: 'string' },
      id: { type: 'string' },
      'log-level': { type: 'string' },
      set: { type: 'string', multiple: true },
    },
    0,
  )
  const signalled = stopRequested(io)
  const config = await loadClusterConfig(
    required(values, 'config'),
    (values.set as string[] | undefined) ?? [],
  )
  const id = required(values, 'id')
  const logger = createPinoLogger(logLevel(values, config.logLevel), { node: id })
  if (signalled()) {
    // A signal before start-up (e.g. while the CLI was loading): nothing started, nothing to stop.
    logger.info('stopping on signal before start-up', { id })
    return 0
  }
  // A signal during start-up is honoured at once: whatever start-up is doing, the command
  // ends (a node that finishes starting later is stopped).
  const starting = startNode(config, id, logger)
  const first = await Promise.race([
    starting.then((n) => ({ node: n })),
    io.interrupted.then(() => 'interrupted' as const),
  ])
  if (first === 'interrupted') {
    logger.info('stopping on signal during start-up', { id })
    void starting.then(
      (n) => n.stop(),
      () => undefined,
    )
    return 0
  }
  const node = first.node
  await io.interrupted
  logger.info('stopping on signal', { id })
  await node.stop()
  return 0
}

// ---- cluster / demo --------------------------------------------------------------------------

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

async function cmdCluster(argv: readonly string[], io: Io, demo: boolean): Promise<number> {
  const { values } = parse(
    argv,
    {
      nodes: { type: 'string' },
      dir: { type: 'string' },
      'log-level': { type: 'string' },
      tls: { type: 'boolean' },
    },
    0,
  )
  const n = intFlag(values, 'nodes', demo ? 3 : undefined)
  const temporary = demo && values.dir === undefined
  const dir = temporary
    ? await mkdtemp(join(tmpdir(), 'raftkit-demo-'))
    : resolve(required(values, 'dir'))
  const file = join(dir, 'cluster.json')
  try {
    let config: ClusterConfig
    if (await exists(file)) {
      config = await loadClusterConfig(file)
      io.out(`using ${file} (${config.nodes.length} nodes)\n`)
    } else {
      config = (await initCluster({ nodes: n, dir, tls: values.tls === true })).config
      io.out(`wrote ${file}\n`)
    }
    const level = logLevel(values, config.logLevel)
    const logDir = join(dir, 'logs')
    const cluster = LocalCluster.start({
      configFile: file,
      config,
      logDir,
      serveArgs: ['--log-level', level],
    })
    io.out(`started ${config.nodes.length} nodes; logs in ${logDir}\n`)
    try {
      const interrupted = io.interrupted.then(() => 'interrupted' as const)
      const leader = await Promise.race([cluster.waitForLeader(30_000), interrupted])
      if (leader !== 'interrupted') {
        io.out(`leader: ${leader}\n`)
        if (demo) await Promise.race([workload(config, io), interrupted])
        await liveStatus(cluster, io, interrupted)
      }
    } finally {
      io.out('\nstopping the nodes...\n')
      const codes = await cluster.stop()
      for (const [id, code] of codes) io.out(`  ${id} exited with ${String(code)}\n`)
      if ([...codes.values()].some((c) => c !== 0)) return 1
    }
    return 0
  } finally {
    if (temporary) await rm(dir, { recursive: true, force: true })
  }
}

async function liveStatus(
  cluster: LocalCluster,
  io: Io,
  interrupted: Promise<'interrupted'>,
): Promise<void> {
  const tty = process.stdout.isTTY
  let last = ''
  let lastPrinted = 0
  let stop = false
  void interrupted.then(() => (stop = true))
  io.out(tty ? '' : 'live status (printed when it changes; Ctrl-C to stop)\n')
  while (!stop) {
    const views: NodeView[] = await cluster.views()
    const table = renderTable(views)
    if (tty) {
      io.out(
        `\x1b[H\x1b[2J raftkit local cluster — ${new Date().toLocaleTimeString()} — Ctrl-C to stop\n\n${table}\n`,
      )
    } else if (table !== last && Date.now() - lastPrinted >= 2000) {
      io.out(`\n${table}\n`)
      last = table
      lastPrinted = Date.now()
    }
    await Promise.race([sleep(500), interrupted])
  }
}

/** The demo's visible workload: a few writes and reads through the HTTP API. */
async function workload(config: ClusterConfig, io: Io): Promise<void> {
  const rpc = clientRpc(config)
  const clock = new SystemClock()
  const client = new KvClient({
    servers: rpc.servers,
    rpc,
    clock,
    requestTimeoutMs: config.client.requestTimeoutMs,
    deadlineMs: config.client.deadlineMs,
    backoff: config.client.backoff,
  })
  const t0 = Date.now()
  const show = (line: string): void =>
    io.out(`[${((Date.now() - t0) / 1000).toFixed(3).padStart(7)} s] ${line}\n`)
  try {
    io.out('\nworkload (through the HTTP API, leader found by following redirects):\n')
    await client.put('greeting', 'hello')
    show(`put    greeting = "hello"            (leader ${client.knownLeader ?? '?'})`)
    await client.append('greeting', ', world')
    show('append greeting += ", world"')
    show(`get    greeting -> ${JSON.stringify(await client.get('greeting'))}`)
    for (let i = 1; i <= 5; i++) {
      await client.put(`counter`, String(i))
      await client.append('history', `${i};`)
      show(`put    counter = ${i}; append history += "${i};"`)
    }
    show(`get    counter -> ${JSON.stringify(await client.get('counter'))}`)
    show(`get    history -> ${JSON.stringify(await client.get('history'))}`)
    show(
      `get    missing -> ${JSON.stringify(await client.get('missing'))} (missing keys read as "")`,
    )
    io.out('\n')
    await sleep(1000)
  } finally {
    client.close()
    rpc.close()
  }
}

// ---- client commands -------------------------------------------------------------------------

const CLIENT_OPTIONS = {
  config: { type: 'string' },
  endpoints: { type: 'string' },
  ca: { type: 'string' },
  timeout: { type: 'string' },
} as const
const KV_OPTIONS = { ...CLIENT_OPTIONS, protocol: { type: 'string' } } as const

/** What a client command connects with: the endpoints (by name) and TLS trust. */
interface ClientTarget {
  readonly endpoints: Record<string, string>
  readonly tls?: { readonly ca?: string | Buffer }
}

async function clientSetup(
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

function clientRpc(config: ClusterConfig): HttpKvRpc {
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

async function cmdKv(
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

async function cmdStatus(argv: readonly string[], io: Io): Promise<number> {
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

/**
 * The cluster file: one JSON document that describes every node of a raftkit cluster and every
 * runtime parameter, shared by `raftkit serve`, `raftkit cluster` and the client commands.
 *
 * ```json
 * {
 *   "nodes": [{ "id": "n1", "peer": "127.0.0.1:7001", "http": "127.0.0.1:8001", "dataDir": "data/n1" }],
 *   "secret": "at least 16 characters",
 *   "raft": { "heartbeatIntervalMs": 100, "electionTimeoutMinMs": 300, "electionTimeoutMaxMs": 600 },
 *   "server": { "maxRaftState": 1048576, "requestTimeoutMs": 800 },
 *   "limits": { "maxKeyBytes": 1024, "maxValueBytes": 1048576 },
 *   "client": { "requestTimeoutMs": 1000, "deadlineMs": 10000 },
 *   "http": { "maxConnections": 1024, "headersTimeoutMs": 10000, "bodyTimeoutMs": 10000 },
 *   "logLevel": "info",
 *   "tls": { "caFile": "tls/ca.pem", "certFile": "tls/node.pem", "keyFile": "tls/node-key.pem" }
 * }
 * ```
 *
 * With `tls`, peers talk wss:// and the HTTP API is HTTPS; a node may carry its own
 * `"tls": { "certFile", "keyFile" }` (the usual setup: one certificate per node, one shared CA).
 *
 * Every section but `nodes` and `secret` is optional and every missing field takes its default.
 * Unknown fields are refused (a typo must not silently fall back to a default). Every error is
 * a KvConfigError whose `field` is the path of the offending field (`nodes[1].peer`).
 */
import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import type { RaftConfig } from '@raftkit/raft-core'
import { ConfigError, resolveRaftConfig } from '@raftkit/raft-core'
import { KvConfigError } from '../errors.js'
import { fail, object, onlyKnown, show } from './json.js'
import type { Json } from './json.js'
import type { ClientSettings, HttpSettings, LimitSettings, ServerSettings } from './settings.js'
import { parseClient, parseHttp, parseLimits, parseServer } from './settings.js'

export type { ClientSettings, HttpSettings, LimitSettings, ServerSettings } from './settings.js'
export {
  DEFAULT_CLIENT_SETTINGS,
  DEFAULT_HTTP_SETTINGS,
  DEFAULT_LIMITS,
  DEFAULT_SERVER_SETTINGS,
} from './settings.js'

export interface HostPort {
  readonly host: string
  readonly port: number
}

export interface NodeSpec {
  readonly id: string
  /** Where the node listens for Raft traffic from its peers (WebSocket). */
  readonly peer: HostPort
  /** Where the node serves the HTTP API. */
  readonly http: HostPort
  /** Absolute path (a relative path in the file is resolved against the file's directory). */
  readonly dataDir: string
  /** This node's certificate, key and the cluster CA, when the cluster uses TLS. */
  readonly tls?: NodeTls
}

/** The TLS files of one node (absolute paths). */
export interface NodeTls {
  /** PEM certificate (chain) this node presents on its peer port and its HTTPS API. */
  readonly certFile: string
  /** PEM private key of `certFile`. */
  readonly keyFile: string
  /** PEM CA certificate(s) trusted when dialing peers; absent: the system's trusted CAs. */
  readonly caFile?: string
  /** Where certFile/keyFile come from in the cluster file: `tls` or `nodes[i].tls`. */
  readonly field: string
}

/** The top-level `tls` section (absolute paths). Present: the whole cluster uses TLS. */
export interface ClusterTls {
  /** Shared certificate of the nodes that have no `nodes[i].tls` of their own. */
  readonly certFile?: string
  readonly keyFile?: string
  /** The CA that signed the nodes' certificates; trusted by nodes and clients. */
  readonly caFile?: string
}

export type ServiceLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'
export const LOG_LEVELS: readonly ServiceLogLevel[] = [
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
  'silent',
]

export interface ClusterConfig {
  readonly nodes: readonly NodeSpec[]
  readonly secret: string
  readonly raft: RaftConfig
  readonly server: ServerSettings
  readonly limits: LimitSettings
  readonly client: ClientSettings
  readonly http: HttpSettings
  readonly logLevel: ServiceLogLevel
  /** Present when the cluster uses TLS (wss:// between peers, HTTPS for the API). */
  readonly tls?: ClusterTls
}

export const MIN_SECRET_LENGTH = 16

const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** Parses "host:port" (IPv6 hosts in brackets: "[::1]:7001"). */
export function parseHostPort(field: string, v: unknown): HostPort {
  if (typeof v !== 'string') fail(field, `expected "host:port", got ${show(v)}`)
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s[\]/]+)):(\d{1,5})$/.exec(v)
  const host = m?.[1] ?? m?.[2]
  const port = Number(m?.[3])
  if (!m || host === undefined || !(port >= 1 && port <= 65535))
    fail(field, `expected "host:port" with a port in 1..65535, got ${show(v)}`)
  return { host, port }
}

export function formatHostPort(a: HostPort): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
}

function pemPath(field: string, v: unknown, baseDir: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.includes('\0'))
    fail(field, `expected the path of a PEM file, got ${show(v)}`)
  return isAbsolute(v) ? v : resolve(baseDir, v)
}

/** certFile and keyFile: both or neither. */
function certAndKey(
  field: string,
  o: Json,
  baseDir: string,
): { certFile: string; keyFile: string } | undefined {
  if (o.certFile === undefined && o.keyFile === undefined) return undefined
  if (o.keyFile === undefined) fail(`${field}.keyFile`, `is required with ${field}.certFile`)
  if (o.certFile === undefined) fail(`${field}.certFile`, `is required with ${field}.keyFile`)
  return {
    certFile: pemPath(`${field}.certFile`, o.certFile, baseDir),
    keyFile: pemPath(`${field}.keyFile`, o.keyFile, baseDir),
  }
}

function parseClusterTls(v: unknown, baseDir: string): ClusterTls | undefined {
  if (v === undefined) return undefined
  const o = object('tls', v)
  onlyKnown('tls', o, ['certFile', 'keyFile', 'caFile'])
  return {
    ...certAndKey('tls', o, baseDir),
    ...(o.caFile === undefined ? {} : { caFile: pemPath('tls.caFile', o.caFile, baseDir) }),
  }
}

function parseNodeTls(
  field: string,
  v: unknown,
  cluster: ClusterTls | undefined,
  baseDir: string,
): NodeTls | undefined {
  const ca = cluster?.caFile === undefined ? {} : { caFile: cluster.caFile }
  if (v === undefined) {
    if (cluster === undefined) return undefined
    if (cluster.certFile === undefined || cluster.keyFile === undefined)
      fail(
        `${field}.tls`,
        'this node has no certificate: give it "tls": { "certFile", "keyFile" }, or give tls.certFile and tls.keyFile for every node',
      )
    return { certFile: cluster.certFile, keyFile: cluster.keyFile, ...ca, field: 'tls' }
  }
  const o = object(`${field}.tls`, v)
  if (cluster === undefined)
    fail(
      `${field}.tls`,
      'needs the top-level "tls" section (with the CA in tls.caFile): TLS is on for the whole cluster or for none',
    )
  onlyKnown(`${field}.tls`, o, ['certFile', 'keyFile'])
  const own = certAndKey(`${field}.tls`, o, baseDir)
  if (!own) fail(`${field}.tls.certFile`, 'is required (with keyFile)')
  return { ...own, ...ca, field: `${field}.tls` }
}

function parseNode(
  field: string,
  v: unknown,
  baseDir: string,
  tls: ClusterTls | undefined,
): NodeSpec {
  const o = object(field, v)
  onlyKnown(field, o, ['id', 'peer', 'http', 'dataDir', 'tls'])
  if (typeof o.id !== 'string' || !NODE_ID.test(o.id))
    fail(
      `${field}.id`,
      `expected 1-64 letters, digits, ".", "_" or "-" (starting with a letter or digit), got ${show(o.id)}`,
    )
  if (typeof o.dataDir !== 'string' || o.dataDir.length === 0)
    fail(`${field}.dataDir`, `expected a directory path, got ${show(o.dataDir)}`)
  return {
    id: o.id,
    peer: parseHostPort(`${field}.peer`, o.peer),
    http: parseHostPort(`${field}.http`, o.http),
    dataDir: isAbsolute(o.dataDir) ? o.dataDir : resolve(baseDir, o.dataDir),
    ...withTls(parseNodeTls(field, o.tls, tls, baseDir)),
  }
}

function withTls<T>(tls: T | undefined): { tls?: T } {
  return tls === undefined ? {} : { tls }
}

/**
 * Servers replicate while the leader's own fdatasync is in flight (`pipelineLeaderAppends`,
 * thesis §10.2.1) unless the cluster file says `"pipelineLeaderAppends": false`.
 */
const SERVER_RAFT_DEFAULTS: Partial<RaftConfig> = { pipelineLeaderAppends: true }

function parseRaft(v: unknown): RaftConfig {
  if (v === undefined) return resolveRaftConfig(SERVER_RAFT_DEFAULTS)
  const o = object('raft', v)
  try {
    return resolveRaftConfig({ ...SERVER_RAFT_DEFAULTS, ...o })
  } catch (e) {
    if (e instanceof ConfigError) {
      const message = e.message.replace(/^invalid configuration "[^"]*": /, '')
      fail(`raft.${e.field}`, message)
    }
    throw e
  }
}

export interface ParseOptions {
  /** Directory that relative `dataDir`s are resolved against. Default: the working directory. */
  readonly baseDir?: string
}

/** Validates a parsed cluster file and fills defaults. Throws KvConfigError naming the field. */
export function parseClusterConfig(raw: unknown, options: ParseOptions = {}): ClusterConfig {
  const baseDir = options.baseDir ?? process.cwd()
  const o = object('(cluster file)', raw)
  onlyKnown('', o, [
    'nodes',
    'secret',
    'raft',
    'server',
    'limits',
    'client',
    'http',
    'logLevel',
    'tls',
  ])
  if (!Array.isArray(o.nodes) || o.nodes.length === 0)
    fail('nodes', `expected a non-empty array of nodes, got ${show(o.nodes)}`)
  const tls = parseClusterTls(o.tls, baseDir)
  const nodes = o.nodes.map((n, i) => parseNode(`nodes[${i}]`, n, baseDir, tls))
  const seen = new Map<string, string>()
  nodes.forEach((n, i) => {
    const claims: Array<[string, string]> = [
      [`id ${n.id}`, `nodes[${i}].id`],
      [`address ${formatHostPort(n.peer)}`, `nodes[${i}].peer`],
      [`address ${formatHostPort(n.http)}`, `nodes[${i}].http`],
      [`dataDir ${n.dataDir}`, `nodes[${i}].dataDir`],
    ]
    for (const [what, field] of claims) {
      const earlier = seen.get(what)
      if (earlier !== undefined) fail(field, `${what} is already used by ${earlier}`)
      seen.set(what, field)
    }
  })
  if (typeof o.secret !== 'string' || o.secret.length < MIN_SECRET_LENGTH)
    fail(
      'secret',
      `expected a string of at least ${MIN_SECRET_LENGTH} characters (shared by all nodes)`,
    )
  const logLevel = o.logLevel ?? 'info'
  if (!LOG_LEVELS.includes(logLevel as ServiceLogLevel))
    fail('logLevel', `expected one of ${LOG_LEVELS.join(', ')}, got ${show(logLevel)}`)
  const raft = parseRaft(o.raft)
  return {
    nodes,
    secret: o.secret,
    raft,
    server: parseServer(o.server),
    limits: parseLimits(o.limits, raft),
    client: parseClient(o.client),
    http: parseHttp(o.http),
    logLevel: logLevel as ServiceLogLevel,
    ...withTls(tls),
  }
}

/**
 * Applies `path=value` overrides (from `--set`) to a raw cluster file before validation.
 * `value` is parsed as JSON when it is valid JSON, else taken as a string.
 * Paths are dot-separated, with `[i]` for array elements: `raft.tickMs=5`, `nodes[0].http=...`.
 */
export function applyOverrides(raw: unknown, overrides: readonly string[]): unknown {
  const root: unknown = structuredClone(raw)
  for (const o of overrides) {
    const eq = o.indexOf('=')
    if (eq <= 0) fail('--set', `expected path=value, got ${show(o)}`)
    const path = o.slice(0, eq)
    const text = o.slice(eq + 1)
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      value = text
    }
    const keys = path.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== '')
    let target = object('(cluster file)', root)
    for (let i = 0; i < keys.length - 1; i++) {
      const key = keys[i] as string
      let next = target[key]
      if (next === undefined) {
        next = {}
        target[key] = next
      }
      if (typeof next !== 'object' || next === null) fail(path, `cannot set inside ${show(next)}`)
      target = next as Json
    }
    target[keys[keys.length - 1] as string] = value
  }
  return root
}

/**
 * Reads, parses and validates a cluster file; relative `dataDir`s and TLS file paths resolve
 * against its folder. TLS files are only named here; `readNodeTls` / `readClientTls` read them.
 */
export async function loadClusterConfig(
  file: string,
  overrides: readonly string[] = [],
): Promise<ClusterConfig> {
  const path = resolve(file)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw new KvConfigError('--config', `cannot read ${path}: ${(e as Error).message}`)
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    throw new KvConfigError('--config', `${path} is not valid JSON: ${(e as Error).message}`)
  }
  return parseClusterConfig(applyOverrides(raw, overrides), { baseDir: dirname(path) })
}

/** The node with `id`, or a KvConfigError naming `--id`. */
export function findNode(config: ClusterConfig, id: string): NodeSpec {
  const node = config.nodes.find((n) => n.id === id)
  if (!node)
    throw new KvConfigError(
      '--id',
      `no node "${id}" in the cluster file (nodes: ${config.nodes.map((n) => n.id).join(', ')})`,
    )
  return node
}

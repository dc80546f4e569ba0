/**
 * `raftkit init`: writes a cluster file for N local nodes on free loopback ports; with `tls`,
 * also a CA and a certificate per node (see certs.ts), referenced from the file.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { KvConfigError } from '../errors.js'
import { generateCertificates } from './certs.js'
import { freePort } from './free-port.js'
import { parseClusterConfig } from './cluster-config.js'
import type { ClusterConfig } from './cluster-config.js'

export interface InitOptions {
  readonly nodes: number
  /** Folder for cluster.json and the nodes' data folders (created if missing). */
  readonly dir: string
  /** Interface to bind. Default 127.0.0.1. */
  readonly host?: string
  /** Extra top-level settings to write (raft, server, limits, client, logLevel). */
  readonly settings?: Record<string, unknown>
  /** Make a CA and per-node certificates in `<dir>/tls` with openssl and turn TLS on. */
  readonly tls?: boolean
}

export const MAX_LOCAL_NODES = 15

/** The part of a cluster file that lists local nodes: their ids, addresses, data folders, the secret. */
export interface LocalNodesFile {
  readonly nodes: {
    id: string
    peer: string
    http: string
    dataDir: string
    tls?: { certFile: string; keyFile: string }
  }[]
  readonly secret: string
  readonly tls?: { caFile: string }
}

/**
 * Nodes n1..nN on free ports of `host` (default 127.0.0.1), data in `data/<id>`, a fresh secret,
 * and with `tls` the certificate paths `raftkit init --tls` writes (`tls/<id>.pem`, `tls/ca.pem`).
 * Shared by `raftkit init` and the sharded `raftkit init --groups`.
 */
export async function localNodesFile(options: {
  readonly nodes: number
  readonly host?: string
  readonly tls?: boolean
}): Promise<LocalNodesFile> {
  const n = options.nodes
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_LOCAL_NODES)
    throw new KvConfigError('--nodes', `expected an integer in 1..${MAX_LOCAL_NODES}, got ${n}`)
  const host = options.host ?? '127.0.0.1'
  // Collect all ports first (holding none), refusing duplicates the OS might hand out twice.
  const ports = new Set<number>()
  for (let attempts = 0; ports.size < 2 * n && attempts < 20 * n; attempts++)
    ports.add(await freePort(host))
  if (ports.size < 2 * n) throw new Error(`could not find ${2 * n} free ports on ${host}`)
  const list = [...ports]
  return {
    nodes: Array.from({ length: n }, (_, i) => {
      const id = `n${i + 1}`
      return {
        id,
        peer: `${host}:${list[2 * i]}`,
        http: `${host}:${list[2 * i + 1]}`,
        dataDir: `data/${id}`,
        ...(options.tls
          ? { tls: { certFile: `tls/${id}.pem`, keyFile: `tls/${id}-key.pem` } }
          : {}),
      }
    }),
    secret: randomBytes(24).toString('hex'),
    ...(options.tls ? { tls: { caFile: 'tls/ca.pem' } } : {}),
  }
}

/** Writes `<dir>/cluster.json` and returns its path and the validated configuration. */
export async function initCluster(
  options: InitOptions,
): Promise<{ file: string; config: ClusterConfig }> {
  const host = options.host ?? '127.0.0.1'
  const dir = resolve(options.dir)
  const local = await localNodesFile(options)
  const ids = local.nodes.map((node) => node.id)
  const raw = {
    nodes: local.nodes,
    secret: local.secret,
    ...options.settings,
    ...(local.tls ? { tls: local.tls } : {}),
  }
  const config = parseClusterConfig(raw, { baseDir: dir })
  await mkdir(dir, { recursive: true })
  if (options.tls)
    await generateCertificates({ dir: join(dir, 'tls'), nodeIds: ids, hosts: [host] })
  const file = join(dir, 'cluster.json')
  await writeFile(file, JSON.stringify(raw, null, 2) + '\n', { mode: 0o600 })
  return { file, config }
}

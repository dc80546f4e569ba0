/**
 * `raftkit init`: writes a cluster file for N local nodes on free loopback ports; with `tls`,
 * also a CA and a certificate per node (see certs.ts), referenced from the file.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { KvConfigError } from '../errors.js'
import { generateCertificates } from './certs.js'
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

/** Asks the OS for a free port: binds port 0, reads the port, closes. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolvePort(port))
    })
  })
}

/** Writes `<dir>/cluster.json` and returns its path and the validated configuration. */
export async function initCluster(
  options: InitOptions,
): Promise<{ file: string; config: ClusterConfig }> {
  const n = options.nodes
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_LOCAL_NODES)
    throw new KvConfigError('--nodes', `expected an integer in 1..${MAX_LOCAL_NODES}, got ${n}`)
  const host = options.host ?? '127.0.0.1'
  const dir = resolve(options.dir)
  // Collect all ports first (holding none), refusing duplicates the OS might hand out twice.
  const ports = new Set<number>()
  for (let attempts = 0; ports.size < 2 * n && attempts < 20 * n; attempts++)
    ports.add(await freePort(host))
  if (ports.size < 2 * n) throw new Error(`could not find ${2 * n} free ports on ${host}`)
  const list = [...ports]
  const ids = Array.from({ length: n }, (_, i) => `n${i + 1}`)
  const raw = {
    nodes: ids.map((id, i) => ({
      id,
      peer: `${host}:${list[2 * i]}`,
      http: `${host}:${list[2 * i + 1]}`,
      dataDir: `data/${id}`,
      ...(options.tls ? { tls: { certFile: `tls/${id}.pem`, keyFile: `tls/${id}-key.pem` } } : {}),
    })),
    secret: randomBytes(24).toString('hex'),
    ...options.settings,
    ...(options.tls ? { tls: { caFile: 'tls/ca.pem' } } : {}),
  }
  const config = parseClusterConfig(raw, { baseDir: dir })
  await mkdir(dir, { recursive: true })
  if (options.tls)
    await generateCertificates({ dir: join(dir, 'tls'), nodeIds: ids, hosts: [host] })
  const file = join(dir, 'cluster.json')
  await writeFile(file, JSON.stringify(raw, null, 2) + '\n', { mode: 0o600 })
  return { file, config }
}

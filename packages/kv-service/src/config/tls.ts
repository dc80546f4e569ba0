/**
 * Reading and checking the TLS files a cluster file names. Every problem is a KvConfigError
 * naming the field and the file: a missing or unreadable file, a file that is not PEM, a key
 * that does not belong to its certificate, an expired certificate.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { createSecureContext } from 'node:tls'
import { KvConfigError } from '../errors.js'
import type { ClusterConfig, HostPort, NodeTls } from './cluster-config.js'
import { findNode } from './cluster-config.js'

/** PEM contents of one node's TLS files, as node:https and node:tls take them. */
export interface TlsMaterial {
  readonly cert: Buffer
  readonly key: Buffer
  /** The CA to trust; absent: the system's trusted CAs. */
  readonly ca?: Buffer
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g
const PRIVATE_KEY = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]+?-----END \1PRIVATE KEY-----/

function unreadable(field: string, path: string, e: unknown): KvConfigError {
  const code = (e as NodeJS.ErrnoException).code
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'is a directory'
          : (e as Error).message
  return new KvConfigError(field, `cannot read ${path}: ${why}`)
}

/** The certificates of a PEM file (at least one), or a KvConfigError naming field and file. */
function certificates(field: string, path: string, pem: Buffer): X509Certificate[] {
  const blocks = pem.toString('latin1').match(CERTIFICATE) ?? []
  if (blocks.length === 0)
    throw new KvConfigError(
      field,
      `${path} is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block)`,
    )
  return blocks.map((block) => {
    try {
      return new X509Certificate(block)
    } catch (e) {
      throw new KvConfigError(field, `${path} holds a damaged certificate: ${(e as Error).message}`)
    }
  })
}

function checkKey(field: string, path: string, pem: Buffer): void {
  if (!PRIVATE_KEY.test(pem.toString('latin1')))
    throw new KvConfigError(
      field,
      `${path} is not a PEM private key (no "-----BEGIN ... PRIVATE KEY-----" block)`,
    )
  try {
    createPrivateKey(pem)
  } catch (e) {
    throw new KvConfigError(
      field,
      `${path} holds no usable private key (an encrypted key is not supported): ${(e as Error).message}`,
    )
  }
}

function checkValidity(field: string, path: string, cert: X509Certificate, now: number): void {
  if (Date.parse(cert.validTo) < now)
    throw new KvConfigError(field, `the certificate in ${path} expired on ${cert.validTo}`)
  if (Date.parse(cert.validFrom) > now)
    throw new KvConfigError(
      field,
      `the certificate in ${path} is not valid before ${cert.validFrom}`,
    )
}

/** Reads and checks the CA file (`field` names it in errors). Synchronous: for CLI clients. */
export function readCaFileSync(field: string, path: string): Buffer {
  let pem: Buffer
  try {
    pem = readFileSync(path)
  } catch (e) {
    throw unreadable(field, path, e)
  }
  for (const cert of certificates(field, path, pem)) checkValidity(field, path, cert, Date.now())
  return pem
}

/**
 * Reads and checks the TLS files of node `id`; undefined when the cluster does not use TLS.
 * Checks: each file readable and PEM, the key matches the certificate, the certificate is
 * currently valid. Returns, beside the material, warnings worth logging (a certificate that
 * does not name the node's addresses: peers and clients dialing those addresses would refuse it).
 */
export async function readNodeTls(
  config: ClusterConfig,
  id: string,
): Promise<{ material: TlsMaterial; files: NodeTls; warnings: string[] } | undefined> {
  const node = findNode(config, id)
  const files = node.tls
  if (files === undefined) return undefined
  const read = async (field: string, path: string): Promise<Buffer> => {
    try {
      return await readFile(path)
    } catch (e) {
      throw unreadable(field, path, e)
    }
  }
  const certField = `${files.field}.certFile`
  const keyField = `${files.field}.keyFile`
  const cert = await read(certField, files.certFile)
  const key = await read(keyField, files.keyFile)
  const chain = certificates(certField, files.certFile, cert)
  const leaf = chain[0] as X509Certificate
  const now = Date.now()
  checkValidity(certField, files.certFile, leaf, now)
  checkKey(keyField, files.keyFile, key)
  try {
    createSecureContext({ cert, key })
  } catch (e) {
    throw new KvConfigError(
      keyField,
      `${files.keyFile} is not the key of the certificate in ${files.certFile}: ${(e as Error).message}`,
    )
  }
  let ca: Buffer | undefined
  if (files.caFile !== undefined) {
    ca = await read('tls.caFile', files.caFile)
    for (const c of certificates('tls.caFile', files.caFile, ca))
      checkValidity('tls.caFile', files.caFile, c, now)
  }
  const warnings: string[] = []
  for (const [what, address] of [
    [`nodes[${config.nodes.indexOf(node)}].peer`, node.peer],
    [`nodes[${config.nodes.indexOf(node)}].http`, node.http],
  ] as Array<[string, HostPort]>)
    if (!names(leaf, address.host))
      warnings.push(
        `the certificate in ${files.certFile} does not name ${address.host} (${what}): peers and clients dialing it will refuse the connection`,
      )
  return { material: { cert, key, ...(ca ? { ca } : {}) }, files, warnings }
}

/** Whether a certificate is valid for `host` (an IP address or a DNS name). */
export function names(cert: X509Certificate, host: string): boolean {
  return isIP(host) !== 0 ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined
}

/**
 * What a client of the cluster needs: undefined when the cluster does not use TLS; else the CA
 * to trust (`caOverride`, a file given on the command line, wins over the cluster's caFile;
 * neither: the system's trusted CAs).
 */
export function readClientTls(
  config: ClusterConfig,
  caOverride?: string,
): { ca?: Buffer } | undefined {
  if (caOverride !== undefined) return { ca: readCaFileSync('--ca', caOverride) }
  if (config.tls === undefined) return undefined
  const caFile = config.tls.caFile
  return caFile === undefined ? {} : { ca: readCaFileSync('tls.caFile', caFile) }
}

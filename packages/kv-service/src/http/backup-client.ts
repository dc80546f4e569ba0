/**
 * The client of GET /v1/admin/backup (http/backup.ts) for `raftkit backup save`: asks the
 * nodes in turn, follows 307 redirects to the leader, waits out 503 BUSY (Retry-After) and
 * moves on while no leader is known (503) or a node does not answer, retries a leader that
 * could not confirm in time (504), and gives up at the deadline. A wrong secret (401) or any
 * other refusal is not retried. The body is returned as received (the caller decodes it).
 */
import type { OneShotRawAnswer } from './one-shot.js'
import { oneShotRequest } from './one-shot.js'
import { BACKUP_PATH, SECRET_HEADER } from './protocol.js'

export interface BackupClientOptions {
  /** HTTP addresses ("host:port", or "https://host:port") of nodes to ask. */
  readonly endpoints: readonly string[]
  readonly secret: string
  /** HTTPS with this CA (undefined: system CAs); absent: plain HTTP (unless https:// given). */
  readonly tls?: { readonly ca?: Buffer | string }
  /** How long fetching may take in all. */
  readonly deadlineMs: number
}

/** The server refused (its code and message), or no node answered in time (UNREACHABLE). */
export class BackupFetchError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'BackupFetchError'
  }
}

type Answer = OneShotRawAnswer

/** The backup file's bytes and the node ("host:port") that answered. */
export async function fetchBackup(
  options: BackupClientOptions,
): Promise<{ bytes: Buffer; node: string }> {
  if (options.endpoints.length === 0) throw new RangeError('fetchBackup: no endpoints')
  const deadline = Date.now() + options.deadlineMs
  const endpoints = [...options.endpoints]
  let next = 0
  let target = endpoints[0] as string
  let last = 'no node answered'
  const moveOn = (): void => {
    next = (next + 1) % endpoints.length
    target = endpoints[next] as string
  }
  while (Date.now() < deadline) {
    let a: Answer
    try {
      a = await get(options, target, Math.max(1, deadline - Date.now()))
    } catch (e) {
      last = `${target}: ${(e as Error).message}`
      moveOn()
      await pause(200, deadline)
      continue
    }
    if (a.status === 200) return { bytes: a.body, node: hostOf(target) }
    const { code, message } = errorOf(a)
    last = `${target}: ${code}: ${message}`
    const location = a.headers.location
    if (a.status === 307 && typeof location === 'string' && /^https?:\/\//i.test(location)) {
      target = location.replace(/^(https?:\/\/[^/?#]+).*$/i, '$1')
      await pause(20, deadline)
      continue
    }
    if (code === 'BUSY') {
      const after = Number(a.headers['retry-after'])
      await pause(Number.isFinite(after) && after > 0 ? after * 1000 : 1000, deadline)
      continue
    }
    if (a.status === 503) {
      moveOn()
      await pause(250, deadline)
      continue
    }
    if (a.status === 504) {
      await pause(250, deadline)
      continue
    }
    throw new BackupFetchError(code, `${target}: ${message}`)
  }
  throw new BackupFetchError(
    'UNREACHABLE',
    `no backup within ${options.deadlineMs} ms (last: ${last}); is a majority of the nodes up?`,
  )
}

/** One GET of the backup from `address` on a fresh connection, bounded by `timeoutMs`. */
function get(options: BackupClientOptions, address: string, timeoutMs: number): Promise<Answer> {
  const secure =
    /^https:\/\//i.test(address) || (options.tls !== undefined && !/^http:/i.test(address))
  const scheme = { secure, ...(options.tls?.ca ? { ca: options.tls.ca } : {}) }
  return oneShotRequest(scheme, hostOf(address), 'GET', BACKUP_PATH, timeoutMs, undefined, {
    [SECRET_HEADER]: options.secret,
  })
}

function errorOf(a: Answer): { code: string; message: string } {
  try {
    const o = JSON.parse(a.body.toString('utf8')) as { error?: unknown; message?: unknown }
    if (typeof o.error === 'string' && typeof o.message === 'string')
      return { code: o.error, message: o.message }
  } catch {
    // not JSON: fall through
  }
  return { code: `HTTP_${a.status}`, message: a.body.toString('utf8').trim().slice(0, 300) }
}

/** "host:port" of "host:port", "http://host:port" or "https://host:port". */
function hostOf(address: string): string {
  return address.replace(/^https?:\/\//i, '').replace(/\/.*$/, '')
}

/** Waits `ms`, but not past `deadline`. */
function pause(ms: number, deadline: number): Promise<void> {
  const wait = Math.max(0, Math.min(ms, deadline - Date.now()))
  return new Promise((r) => setTimeout(r, wait))
}

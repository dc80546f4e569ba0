/**
 * GET /v1/admin/backup: a backup file (backup-format.ts) of this node's state machine,
 * authenticated by the cluster secret like the other admin endpoints (a backup holds every
 * session id, which are what keeps one client from writing under another's session).
 *
 * Only the leader answers, and only after it has confirmed its leadership the way a
 * linearizable read does (ReadIndex: a fresh heartbeat round, then the state machine applied up
 * to the commit index of that moment), so the backup holds every write acknowledged before the
 * request arrived; a follower answers 307 to the leader (503 while none is known), a leader
 * that cannot confirm (deposed, cut off) 307 or 504, never a stale backup.
 *
 * At most one backup is taken and sent at a time per node: another request meanwhile gets 503
 * BUSY with Retry-After. Memory: the state machine's snapshot is encoded once (about the size
 * of the data and session table, msgpack) and sent as it is, with a small header and the
 * checksum around it; no other copy is made. A client that stops reading holds the slot until
 * the socket has been idle for SEND_IDLE_TIMEOUT_MS.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { finished } from 'node:stream'
import type { Logger, NodeId } from '@raftkit/raft-core'
import { encodeBackupParts } from '../backup-format.js'
import type { KvServer } from '../server.js'
import { HttpError, allow } from './io.js'
import { AdminAuth } from './admin-auth.js'
import { BACKUP_INDEX_HEADER, BACKUP_TERM_HEADER } from './protocol.js'
import { failureOf } from './replies.js'

/** How long a backup answer may wait for its client to read on. */
const SEND_IDLE_TIMEOUT_MS = 60_000

export interface BackupAdminOptions {
  readonly secret: string
  readonly kv: Pick<
    KvServer,
    'readBarrier' | 'appliedIndex' | 'appliedTerm' | 'raftStatus' | 'stateMachine'
  >
  /** The 307 to the leader (or 503 when none is known), as the KV endpoints answer it. */
  readonly redirect: (req: IncomingMessage, leader: NodeId | null) => HttpError
  readonly logger: Logger
}

export class BackupAdmin {
  private readonly auth: AdminAuth
  private busy = false

  constructor(private readonly options: BackupAdminOptions) {
    this.auth = new AdminAuth(options.secret, options.logger)
  }

  /** Answers the request; resolves once the answer is sent (or the client gone). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'HEAD')
      throw new HttpError('METHOD_NOT_ALLOWED', 'use GET', { allow: 'GET' })
    allow(req, ['GET'])
    this.auth.check(req)
    const { kv, redirect } = this.options
    const status = kv.raftStatus()
    if (!status) throw new HttpError('STOPPED', 'this node is shutting down')
    if (status.role !== 'leader') throw redirect(req, status.leader)
    if (this.busy)
      throw new HttpError('BUSY', 'a backup is being taken on this node; retry when it is done', {
        'retry-after': '1',
      })
    this.busy = true
    try {
      const refused = await kv.readBarrier()
      if (refused !== undefined && !refused.ok)
        throw failureOf(refused, (leader) => redirect(req, leader))
      // Index, term and snapshot are read together, synchronously: one state of the machine.
      const index = kv.appliedIndex
      const term = kv.appliedTerm
      const parts = encodeBackupParts({
        index,
        term,
        members: kv.raftStatus()?.membership?.voters ?? [],
        createdAt: new Date().toISOString(),
        snapshot: kv.stateMachine.snapshot(),
      })
      await send(res, parts, index, term)
    } finally {
      this.busy = false
    }
  }
}

/** Sends the parts as one body; resolves once sent or the connection closed. */
function send(
  res: ServerResponse,
  parts: readonly Uint8Array[],
  index: number,
  term: number,
): Promise<void> {
  const length = parts.reduce((n, p) => n + p.length, 0)
  return new Promise((resolve) => {
    // Once sent, or the connection closed (also before the answer began): never held.
    finished(res, () => resolve())
    res.setTimeout(SEND_IDLE_TIMEOUT_MS, () => res.destroy())
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': length,
      [BACKUP_INDEX_HEADER]: String(index),
      [BACKUP_TERM_HEADER]: String(term),
    })
    for (const p of parts) res.write(p)
    res.end()
  })
}

/**
 * The membership admin endpoints (paths and bodies in members-protocol.ts), authenticated by
 * the cluster secret like POST /v1/admin/faults. The leader does the work; a follower answers
 * 307 to it. Adding a learner first commits the new node's addresses to the replicated address
 * book, then the configuration entry, so no node ever has a member it cannot address. Promote
 * waits (bounded) until the learner has caught up with the commit index seen when it was asked.
 * raft-core's typed errors become typed HTTP errors: CHANGE_IN_PROGRESS (409), UNKNOWN_NODE
 * (404), BAD_MEMBERSHIP (400), TRANSFER_FAILED (409), NOT_LEADER (307), TIMEOUT (504).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger, Membership, NodeId, Status } from '@raftkit/raft-core'
import {
  ChangeInProgressError,
  InvalidMembershipError,
  LeadershipTransferError,
  NotLeaderError,
  StoppedError,
  TransferInProgressError,
  UnknownNodeError,
  isJoint,
} from '@raftkit/raft-core'
import { formatHostPort, parseHostPort } from '../config/cluster-config.js'
import { KvConfigError } from '../errors.js'
import type { MemberDirectory } from '../membership.js'
import type { KvReply } from '../rpc.js'
import { HttpError, allow, readBody, sendJson, tooLarge } from './io.js'
import type { ReadBodyOptions } from './io.js'
import { AdminAuth } from './admin-auth.js'
import type { MemberView, MembersView } from './members-protocol.js'
import {
  MAX_MEMBERS_REQUEST_BYTES,
  MEMBERS_PATH,
  TRANSFER_LEADER_PATH,
} from './members-protocol.js'

/** The part of raft-core's `Raft` the endpoints use. */
export interface MembersRaft {
  status(): Status
  membership(): { current: Membership; currentIndex: number; committedIndex: number }
  addLearner(id: NodeId): Promise<Membership>
  promote(id: NodeId): Promise<Membership>
  removeNode(id: NodeId): Promise<Membership>
  transferLeadership(to: NodeId): Promise<void>
}

export interface MembersAdminOptions {
  readonly secret: string
  readonly raft: MembersRaft
  readonly kv: { setAddress(id: NodeId, peer: string, http: string): Promise<KvReply> }
  readonly directory: MemberDirectory
  /** The 307 to the leader (or 503 when none is known), as the KV endpoints answer it. */
  readonly redirect: (req: IncomingMessage, leader: NodeId | null) => HttpError
  readonly bodyLimits: Pick<ReadBodyOptions, 'budget' | 'timeoutMs'>
  readonly logger: Logger
  /** How long promote waits for the learner to catch up. Default 60 s. */
  readonly catchUpTimeoutMs?: number
}

const ID = /^[A-Za-z0-9_.-]{1,64}$/

export class MembersAdmin {
  private readonly auth: AdminAuth
  constructor(private readonly options: MembersAdminOptions) {
    this.auth = new AdminAuth(options.secret, options.logger)
  }

  /** True when `path` is one of these endpoints. */
  static handles(path: string): boolean {
    return (
      path === MEMBERS_PATH || path.startsWith(`${MEMBERS_PATH}/`) || path === TRANSFER_LEADER_PATH
    )
  }

  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    this.auth.check(req)
    if (path === TRANSFER_LEADER_PATH) {
      allow(req, ['POST'])
      const body = await this.body(req)
      const to = nodeId(body.to, 'to')
      this.requireLeader(req)
      await this.call(req, () => this.options.raft.transferLeadership(to))
      return sendJson(res, 200, this.view())
    }
    if (path === MEMBERS_PATH) {
      allow(req, ['GET', 'POST'])
      if (req.method === 'POST') return this.addLearner(req, res)
      const s = this.options.raft.status()
      if (s.role !== 'leader' && s.leader !== null) throw this.options.redirect(req, s.leader)
      return sendJson(res, 200, this.view())
    }
    const rest = path.slice(MEMBERS_PATH.length + 1)
    const promote = rest.endsWith('/promote')
    const id = nodeId(decodeSegment(promote ? rest.slice(0, -'/promote'.length) : rest), 'id')
    allow(req, [promote ? 'POST' : 'DELETE'])
    this.requireLeader(req)
    if (promote) await this.promote(req, id)
    else {
      await this.call(req, () => this.options.raft.removeNode(id))
      // Best effort: the book forgets it (a leader that removed itself has stepped down).
      if (this.options.directory.inBook(id) && this.isLeader())
        await this.options.kv.setAddress(id, '', '').catch(() => undefined)
    }
    sendJson(res, 200, this.view())
  }

  private async addLearner(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await this.body(req)
    const id = nodeId(body.id, 'id')
    const peer = address(body.peer, 'peer')
    const http = address(body.http, 'http')
    this.requireLeader(req)
    const m = this.options.raft.membership().current
    const known = this.options.directory.address(id)
    const same = known?.peer === peer && known.http === http
    if (m.voters.includes(id) || m.outgoing.includes(id) || m.learners.includes(id)) {
      if (same) return sendJson(res, 200, this.view()) // a retry of a change that was made
      throw new HttpError(
        'BAD_MEMBERSHIP',
        `"${id}" is a member already (with other addresses): remove it first`,
      )
    }
    const reply = await this.options.kv.setAddress(id, peer, http)
    if (!reply.ok) throw this.replyError(req, reply)
    this.options.directory.refresh()
    await this.call(req, () => this.options.raft.addLearner(id))
    sendJson(res, 200, this.view())
  }

  /** Waits until learner `id` has every entry committed when asked, then makes it a voter. */
  private async promote(req: IncomingMessage, id: NodeId): Promise<void> {
    const { raft } = this.options
    const m = raft.membership().current
    if (m.voters.includes(id) && !isJoint(m)) return // a retry of a change that was made
    if (!m.learners.includes(id))
      throw new HttpError('UNKNOWN_NODE', `"${id}" is not a learner: add it as a learner first`)
    const goal = raft.status().commitIndex
    const deadline = Date.now() + (this.options.catchUpTimeoutMs ?? 60_000)
    for (;;) {
      const s = raft.status()
      if (s.role !== 'leader') throw this.options.redirect(req, s.leader)
      if ((s.progress?.[id]?.match ?? 0) >= goal) break
      if (Date.now() > deadline)
        throw new HttpError(
          'TIMEOUT',
          `learner "${id}" has not caught up (match ${s.progress?.[id]?.match ?? 0} < ${goal}); is it running? Not promoted`,
        )
      await new Promise((r) => setTimeout(r, 50))
    }
    await this.call(req, () => raft.promote(id))
  }

  private async call(req: IncomingMessage, run: () => Promise<unknown>): Promise<void> {
    try {
      await run()
    } catch (e) {
      throw this.raftError(req, e)
    }
  }

  private raftError(req: IncomingMessage, e: unknown): HttpError {
    const retry = { 'retry-after': '1' }
    if (e instanceof NotLeaderError) {
      if (e.message.includes('outcome is unknown'))
        return new HttpError('TIMEOUT', `${e.message} (GET ${MEMBERS_PATH} shows it)`)
      return this.options.redirect(req, e.leaderHint)
    }
    if (e instanceof ChangeInProgressError || e instanceof TransferInProgressError)
      return new HttpError('CHANGE_IN_PROGRESS', e.message, retry)
    if (e instanceof UnknownNodeError) return new HttpError('UNKNOWN_NODE', e.message)
    if (e instanceof InvalidMembershipError) return new HttpError('BAD_MEMBERSHIP', e.message)
    if (e instanceof LeadershipTransferError) return new HttpError('TRANSFER_FAILED', e.message)
    if (e instanceof StoppedError) return new HttpError('STOPPED', 'this node is shutting down')
    this.options.logger.warn('membership request failed', { error: String(e) })
    return new HttpError('INTERNAL', 'internal error; see the server log')
  }

  private replyError(req: IncomingMessage, reply: KvReply & { ok: false }): HttpError {
    if (reply.error === 'WRONG_LEADER') return this.options.redirect(req, reply.leaderHint)
    if (reply.error === 'STOPPED') return new HttpError('STOPPED', 'this node is shutting down')
    return new HttpError(
      'TIMEOUT',
      `the address book entry did not commit (${reply.error}); nothing was added: retry`,
    )
  }

  private isLeader(): boolean {
    return this.options.raft.status().role === 'leader'
  }

  private requireLeader(req: IncomingMessage): void {
    const s = this.options.raft.status()
    if (s.role !== 'leader') throw this.options.redirect(req, s.leader)
  }

  private async body(req: IncomingMessage): Promise<Record<string, unknown>> {
    const raw = await readBody(req, {
      limit: MAX_MEMBERS_REQUEST_BYTES,
      onTooLarge: (n, limit) => tooLarge(n, limit, 'the request', 'fixed for admin requests'),
      ...this.options.bodyLimits,
    })
    let parsed: unknown
    try {
      parsed = JSON.parse(raw.toString('utf8'))
    } catch {
      throw new HttpError('BAD_JSON', 'the body must be a JSON object')
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new HttpError('BAD_JSON', 'the body must be a JSON object')
    return parsed as Record<string, unknown>
  }

  /** The configuration in effect here, with addresses and (on the leader) progress. */
  view(): MembersView {
    const { raft, directory } = this.options
    const s = raft.status()
    const mm = raft.membership()
    const m = mm.current
    const list: MemberView[] = []
    const add = (id: NodeId, role: MemberView['role']): void => {
      if (list.some((x) => x.id === id)) return
      const a = directory.address(id)
      const p = s.progress?.[id]
      list.push({
        id,
        role,
        peer: a?.peer ?? null,
        http: a?.http ?? null,
        ...(p && id !== s.id ? { progress: { match: p.match, next: p.next, state: p.state } } : {}),
      })
    }
    for (const id of m.voters) add(id, 'voter')
    for (const id of m.outgoing) add(id, 'outgoing')
    for (const id of m.learners) add(id, 'learner')
    return {
      node: s.id,
      term: s.term,
      leader: s.leader,
      voters: [...m.voters],
      learners: [...m.learners],
      outgoing: [...m.outgoing],
      joint: isJoint(m),
      configIndex: mm.currentIndex,
      committed: mm.committedIndex >= mm.currentIndex,
      leadTransferee: s.leadTransferee ?? null,
      members: list,
    }
  }
}

function nodeId(v: unknown, field: string): NodeId {
  if (typeof v !== 'string' || !ID.test(v))
    throw new HttpError('BAD_REQUEST', `${field} must be a node id (1-64 of A-Z a-z 0-9 _ . -)`)
  return v
}

function address(v: unknown, field: string): string {
  try {
    return formatHostPort(parseHostPort(field, v))
  } catch (e) {
    if (e instanceof KvConfigError) throw new HttpError('BAD_REQUEST', e.message)
    throw e
  }
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw)
  } catch {
    throw new HttpError('BAD_REQUEST', 'the node id is not valid percent-encoding')
  }
}

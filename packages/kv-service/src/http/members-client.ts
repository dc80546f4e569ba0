/**
 * A client of the membership admin API (members-protocol.ts) for the CLI, the chaos monkey and
 * tests: finds the leader by following 307 redirects, moves on to another node while none is
 * known (503) or a node does not answer, retries CHANGE_IN_PROGRESS for a short while (a new
 * leader that has not committed an entry of its term answers it), and otherwise fails with a
 * MembersError carrying the server's typed code (UNKNOWN_NODE, BAD_MEMBERSHIP, ...).
 *
 * Retrying a change whose answer was lost is safe: adding a learner with the same addresses
 * and promoting a voter are answered as done; a retried remove that finds the node gone
 * (UNKNOWN_NODE after an attempt whose outcome is unknown) counts as done.
 *
 * A transfer is answered by the old leader, which no longer tracks replication, and a leader's
 * removal of itself by a node that no longer leads: transferLeader and remove then ask the new
 * leader for its view (bounded), so the caller sees its progress of each node.
 */
import type { NodeId } from '@raftkit/raft-core'
import type { AddLearnerRequest, MembersView } from './members-protocol.js'
import { MEMBERS_PATH, TRANSFER_LEADER_PATH } from './members-protocol.js'
import { oneShotExchange } from './one-shot.js'
import type { OneShotAnswer } from './one-shot.js'
import { SECRET_HEADER } from './protocol.js'

export interface MembersClientOptions {
  /** HTTP addresses ("host:port") of nodes to ask first (e.g. every node of the cluster file). */
  readonly endpoints: readonly string[]
  readonly secret: string
  /** HTTPS with this CA (undefined: system CAs); absent: plain HTTP. */
  readonly tls?: { readonly ca?: Buffer }
  /** How long one command may take in all. Default 90 s (promote waits for the catch-up). */
  readonly deadlineMs?: number
  /** How long CHANGE_IN_PROGRESS is retried before it is reported. Default 5 s. */
  readonly busyRetryMs?: number
}

/** The server refused (its typed code and message), or no node could be reached in time. */
export class MembersError extends Error {
  constructor(
    /** The server's error code (UNKNOWN_NODE, CHANGE_IN_PROGRESS, ...) or UNREACHABLE. */
    readonly code: string,
    message: string,
    readonly status = 0,
  ) {
    super(message)
    this.name = 'MembersError'
  }
}

type Answer = OneShotAnswer

/** How long `list()` waits for each further node when the first knew no leader. */
const LIST_PROBE_MS = 1_000
/** How long `transferLeader()` and `remove()` of the leader wait for a new leader to answer. */
const NEW_LEADER_WAIT_MS = 10_000
/** ...and then at most this long for it to have heard from every member (leave `probe`). */
const NEW_LEADER_SETTLE_MS = 1_000

export class MembersClient {
  private readonly endpoints: string[]
  private preferred = 0

  constructor(private readonly options: MembersClientOptions) {
    if (options.endpoints.length === 0) throw new RangeError('MembersClient: no endpoints')
    this.endpoints = [...options.endpoints]
  }

  /**
   * The configuration as the leader sees it. A node that knows no leader answers its own view,
   * which may be stale (a node removed from the cluster but still running never learns that its
   * removal committed): then every other node the cluster file or that view names is asked
   * once, and the first leader's view wins; with no leader anywhere, the view of the highest
   * (term, configuration index) is returned, `leader: null`.
   */
  async list(): Promise<MembersView> {
    const first = await this.call('GET', MEMBERS_PATH)
    if (first.leader !== null) return first
    let best = first
    const asked = new Set(first.members.filter((m) => m.id === first.node).map((m) => m.http))
    const candidates = [...this.endpoints, ...first.members.map((m) => m.http)]
    for (const address of candidates) {
      if (address === null || asked.has(address)) continue
      asked.add(address)
      const view = await this.askOnce(address)
      if (view === undefined) continue
      if (view.leader !== null && view.leader === view.node) return view
      if (view.term > best.term || (view.term === best.term && view.configIndex > best.configIndex))
        best = view
    }
    return best
  }

  addLearner(request: AddLearnerRequest): Promise<MembersView> {
    return this.call('POST', MEMBERS_PATH, JSON.stringify(request))
  }

  promote(id: NodeId): Promise<MembersView> {
    return this.call('POST', `${MEMBERS_PATH}/${encodeURIComponent(id)}/promote`)
  }

  /**
   * Removes voter or learner `id`. A leader that removes itself steps down and answers
   * without a leader or any progress: then the answer is the next leader's view, waited for
   * as after a transfer (else UNREACHABLE, saying the removal itself is done).
   */
  async remove(id: NodeId): Promise<MembersView> {
    const end = Date.now() + (this.options.deadlineMs ?? 90_000)
    const done = await this.call(
      'DELETE',
      `${MEMBERS_PATH}/${encodeURIComponent(id)}`,
      undefined,
      true,
    )
    if (done.node !== id || done.leader === done.node) return done
    return this.leaderViewAfter(done, newLeaderWaitEnd(end), 'the removal')
  }

  /**
   * Hands leadership to voter `to`; answers the new leader's view (its progress of each member,
   * which the old leader, answering the transfer, no longer has). Waits up to 10 s (within the
   * deadline) for `to`, or the leader of a later term if leadership has moved on already, to
   * answer as leader; else fails with UNREACHABLE, saying the transfer itself is done.
   */
  async transferLeader(to: NodeId): Promise<MembersView> {
    const end = Date.now() + (this.options.deadlineMs ?? 90_000)
    const done = await this.call('POST', TRANSFER_LEADER_PATH, JSON.stringify({ to }))
    return this.leaderViewAfter(done, newLeaderWaitEnd(end), 'the transfer')
  }

  private async call(
    method: string,
    path: string,
    body?: string,
    goneIsDone = false,
  ): Promise<MembersView> {
    const start = Date.now()
    const deadline = start + (this.options.deadlineMs ?? 90_000)
    const busyUntil = start + (this.options.busyRetryMs ?? 5_000)
    let target = this.endpoints[this.preferred % this.endpoints.length] as string
    let uncertain = false
    let last = 'no node answered'
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      let a: Answer
      try {
        a = await this.exchange(target, method, path, body, Math.max(1, deadline - Date.now()))
      } catch (e) {
        last = `${target}: ${(e as Error).message}`
        if (method !== 'GET') uncertain = true
        target = this.next()
        await pause(200)
        continue
      }
      if (a.status === 200) return JSON.parse(a.body) as MembersView
      const { code, message } = errorOf(a)
      if (a.status === 307 && a.location !== undefined) {
        const host = hostOf(a.location)
        if (host !== undefined) {
          if (!this.endpoints.includes(host)) this.endpoints.push(host)
          this.preferred = this.endpoints.indexOf(host)
          target = host
          continue
        }
      }
      last = `${code}: ${message}`
      if (a.status === 503 || code === 'TIMEOUT') {
        if (code === 'TIMEOUT' && method !== 'GET') uncertain = true
        if (a.status === 503) target = this.next()
        await pause(250)
        continue
      }
      if (code === 'CHANGE_IN_PROGRESS' && Date.now() < busyUntil) {
        await pause(250)
        continue
      }
      if (goneIsDone && uncertain && code === 'UNKNOWN_NODE') return this.list()
      throw new MembersError(code, message, a.status)
    }
    throw new MembersError(
      'UNREACHABLE',
      `no answer within ${this.options.deadlineMs ?? 90_000} ms (last: ${last})`,
    )
  }

  /**
   * The view of the leader `done` names (after a transfer; none after a leader removed itself:
   * the nodes are asked in turn), polled until that node answers as leader in term `done.term`
   * or later and has heard from every member (or for at most NEW_LEADER_SETTLE_MS more); a
   * redirect is followed (leadership moved on). `what` names the change in the error.
   */
  private async leaderViewAfter(
    done: MembersView,
    until: number,
    what: string,
  ): Promise<MembersView> {
    const started = Date.now()
    for (const m of done.members)
      if (m.http !== null && !this.endpoints.includes(m.http)) this.endpoints.push(m.http)
    let target = done.members.find((m) => m.id === done.leader)?.http ?? this.next()
    let latest: MembersView | undefined
    let settleBy = Infinity
    let last = 'no answer'
    while (Date.now() < Math.min(until, settleBy)) {
      let a: Answer
      try {
        const wait = Math.max(1, Math.min(LIST_PROBE_MS, until - Date.now()))
        a = await this.exchange(target, 'GET', MEMBERS_PATH, undefined, wait)
      } catch (e) {
        last = `${target}: ${(e as Error).message}`
        await pause(100)
        continue
      }
      const host = a.status === 307 && a.location !== undefined ? hostOf(a.location) : undefined
      if (host !== undefined) target = host
      else if (a.status !== 200) last = `${target}: ${errorOf(a).code}`
      else {
        const v = JSON.parse(a.body) as MembersView
        if (v.leader === v.node && v.term >= done.term) {
          latest = v
          settleBy = Math.min(settleBy, Date.now() + NEW_LEADER_SETTLE_MS)
          if (
            v.members.every((m) => m.id === v.node || (m.progress && m.progress.state !== 'probe'))
          )
            return v
        } else {
          last = `${v.node} knows leader ${v.leader ?? '(none)'} in term ${v.term}`
          if (done.leader === null) target = this.next()
        }
      }
      await pause(50)
    }
    if (latest !== undefined) return latest
    throw new MembersError(
      'UNREACHABLE',
      `${what} is done (leader ${done.leader ?? '(none known)'}, term ${done.term}), but no ` +
        `leader answered within ${Date.now() - started} ms (last: ${last}); see raftkit member list`,
    )
  }

  /** One GET of the view from `address` (following one redirect), or undefined. */
  private async askOnce(address: string): Promise<MembersView | undefined> {
    let target = address
    for (let hop = 0; hop < 2; hop++) {
      let a: Answer
      try {
        a = await this.exchange(target, 'GET', MEMBERS_PATH, undefined, LIST_PROBE_MS)
      } catch {
        return undefined
      }
      if (a.status === 200) return JSON.parse(a.body) as MembersView
      const host = a.status === 307 && a.location !== undefined ? hostOf(a.location) : undefined
      if (host === undefined) return undefined
      target = host
    }
    return undefined
  }

  private next(): string {
    this.preferred = (this.preferred + 1) % this.endpoints.length
    return this.endpoints[this.preferred] as string
  }

  private exchange(
    address: string,
    method: string,
    path: string,
    body: string | undefined,
    timeoutMs: number,
  ): Promise<Answer> {
    const scheme = { secure: this.options.tls !== undefined, ca: this.options.tls?.ca }
    return oneShotExchange(scheme, address, method, path, timeoutMs, body, {
      [SECRET_HEADER]: this.options.secret,
    })
  }
}

function errorOf(a: Answer): { code: string; message: string } {
  try {
    const o = JSON.parse(a.body) as { error?: unknown; message?: unknown }
    if (typeof o.error === 'string' && typeof o.message === 'string')
      return { code: o.error, message: o.message }
  } catch {
    // not JSON: fall through
  }
  return { code: `HTTP_${a.status}`, message: a.body.trim().slice(0, 300) }
}

function hostOf(location: string): string | undefined {
  const m = /^https?:\/\/([^/?#]+)/i.exec(location)
  return m?.[1]
}

/** Until when to wait for a new leader's view: NEW_LEADER_WAIT_MS within `end`, 1 s at least. */
function newLeaderWaitEnd(end: number): number {
  return Math.max(Math.min(end, Date.now() + NEW_LEADER_WAIT_MS), Date.now() + 1_000)
}

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

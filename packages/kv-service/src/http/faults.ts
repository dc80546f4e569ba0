/**
 * POST /v1/admin/faults: fault injection on the node's peer transport, for tests and the chaos
 * monkey. Authenticated by the cluster secret (Raftkit-Secret, compared in constant time);
 * refused with 404 when the node runs without a secret or without fault controls.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger, NodeId } from '@raftkit/raft-core'
import { HttpError, readBody, sendJson, tooLarge } from './io.js'
import type { ReadBodyOptions } from './io.js'
import { AdminAuth } from './admin-auth.js'
import type { FaultRequest } from './protocol.js'
import { MAX_FAULT_DELAY_MS, MAX_FAULT_REQUEST_BYTES } from './protocol.js'

/** The fault controls of the peer transport (transport-ws `WsTransport.faults`). */
export interface TransportFaultControls {
  block(peers: readonly NodeId[]): void
  unblock(peers: readonly NodeId[]): void
  setDropProbability(p: number): void
  setDelay(minMs: number, maxMs: number): void
  isolate(): void
  heal(): void
  state(): { readonly blocked: readonly NodeId[] }
}

export interface FaultAdminOptions {
  readonly secret: string
  readonly faults: TransportFaultControls
  /** This node's id and every member's: only other members may be blocked. */
  readonly self: () => NodeId
  readonly members: () => readonly NodeId[]
  readonly logger: Logger
  /** The server's shared body budget and body timeout. */
  readonly bodyLimits?: Pick<ReadBodyOptions, 'budget' | 'timeoutMs'>
}

export class FaultAdmin {
  private readonly auth: AdminAuth
  constructor(private readonly options: FaultAdminOptions) {
    this.auth = new AdminAuth(options.secret, options.logger)
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { faults } = this.options
    this.auth.check(req)
    const body = await readBody(req, {
      limit: MAX_FAULT_REQUEST_BYTES,
      onTooLarge: (n, limit) => tooLarge(n, limit, 'the fault request', 'fixed for fault requests'),
      ...this.options.bodyLimits,
    })
    const plan = parseFaultRequest(body)
    const members = this.options.members()
    const self = this.options.self()
    const named: readonly NodeId[] = [
      ...(plan.block ?? []),
      ...(plan.unblock === undefined || plan.unblock === true ? [] : plan.unblock),
    ]
    for (const id of named)
      if (!members.includes(id) || id === self)
        throw new HttpError('BAD_FAULTS', `${JSON.stringify(id)} is not a peer of this node`)
    try {
      if (plan.heal) faults.heal()
      if (plan.isolate) faults.isolate()
      if (plan.unblock !== undefined)
        faults.unblock(plan.unblock === true ? [...faults.state().blocked] : plan.unblock)
      if (plan.block) faults.block(plan.block)
      if (plan.drop !== undefined) faults.setDropProbability(plan.drop)
      if (plan.delayMs) faults.setDelay(plan.delayMs[0], plan.delayMs[1])
    } catch (e) {
      throw new HttpError('BAD_FAULTS', e instanceof Error ? e.message : String(e))
    }
    this.options.logger.warn('fault injection changed', { ...plan })
    sendJson(res, 200, { ok: true, faults: faults.state() })
  }
}

/** Validates a fault request body; throws HttpError (400) naming the bad field. */
export function parseFaultRequest(body: Buffer): FaultRequest {
  let raw: unknown
  try {
    raw = JSON.parse(body.toString('utf8'))
  } catch {
    throw new HttpError('BAD_JSON', 'the body must be a JSON object')
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new HttpError('BAD_JSON', 'the body must be a JSON object')
  const o = raw as Record<string, unknown>
  const bad = (field: string, expected: string): never => {
    throw new HttpError('BAD_FAULTS', `${field}: expected ${expected}`)
  }
  const known = ['block', 'unblock', 'drop', 'delayMs', 'isolate', 'heal']
  for (const k of Object.keys(o)) if (!known.includes(k)) bad(k, `one of ${known.join(', ')}`)
  const ids = (field: string, v: unknown): NodeId[] => {
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.length > 0))
      bad(field, 'an array of node ids')
    return v as NodeId[]
  }
  const plan: { -readonly [K in keyof FaultRequest]: FaultRequest[K] } = {}
  if (o.block !== undefined) plan.block = ids('block', o.block)
  if (o.unblock !== undefined) plan.unblock = o.unblock === true ? true : ids('unblock', o.unblock)
  if (o.drop !== undefined) {
    if (typeof o.drop !== 'number' || !(o.drop >= 0 && o.drop <= 1))
      bad('drop', 'a probability in [0, 1]')
    plan.drop = o.drop as number
  }
  if (o.delayMs !== undefined) {
    const d: unknown = o.delayMs
    const pair =
      Array.isArray(d) &&
      d.length === 2 &&
      d.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)
        ? (d as [number, number])
        : undefined
    if (!pair || pair[0] > pair[1] || pair[1] > MAX_FAULT_DELAY_MS)
      return bad('delayMs', `[min, max] with 0 <= min <= max <= ${MAX_FAULT_DELAY_MS}`)
    plan.delayMs = [pair[0], pair[1]]
  }
  if (o.isolate !== undefined) {
    if (o.isolate !== true) bad('isolate', 'true')
    plan.isolate = true
  }
  if (o.heal !== undefined) {
    if (o.heal !== true) bad('heal', 'true')
    plan.heal = true
  }
  return plan
}

/**
 * The HTTP server's own session, for writes sent without session headers (which therefore get
 * no deduplication across client retries). Sequence numbers are taken right before the
 * proposal, so the log holds them in increasing order, and each number is proposed once.
 * SESSION_EXPIRED is the answer of that very entry, so it did not run: a new internal session
 * (a new id) is opened and the write proposed once more with a new number.
 */
import { randomBytes } from 'node:crypto'
import type { KvReply } from '../rpc.js'
import type { KvServer } from '../server.js'

/** Ids of internal sessions start with this; clients may not use it. */
export const INTERNAL_ID_PREFIX = 'http-'

export class InternalSession {
  private id = newInternalId()
  private seq = 0
  private opening: Promise<boolean> | undefined

  constructor(private readonly kv: KvServer) {}

  async write(op: 'put' | 'append', key: string, value: string): Promise<KvReply> {
    for (let attempt = 0; ; attempt++) {
      const open = await this.open()
      if (open !== true) return open
      const id = this.id
      const reply = await this.kv[op](key, value, id, ++this.seq)
      if (reply.ok || reply.error !== 'SESSION_EXPIRED' || attempt >= 2) return reply
      if (this.id === id) {
        this.opening = undefined
        this.id = newInternalId()
      }
    }
  }

  private async open(): Promise<true | KvReply> {
    if (this.opening && (await this.opening)) return true
    let result: KvReply = { ok: false, error: 'TIMEOUT' }
    const opening = this.kv.open(this.id).then((r) => {
      result = r
      return r.ok
    })
    this.opening = opening
    if (await opening) return true
    if (this.opening === opening) this.opening = undefined
    return result
  }
}

function newInternalId(): string {
  return `${INTERNAL_ID_PREFIX}${randomBytes(8).toString('hex')}`
}

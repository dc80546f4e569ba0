/**
 * Sessions over HTTP: ids are issued by the server (POST /v1/sessions), and a write of an
 * unknown session is refused, never run — even a retried first write after its session
 * expired (issue 10, bug 2).
 */
import { expect } from 'chai'
import { SystemClock, TimeoutError } from '@raftkit/raft-core'
import { KvClient } from '../src/client.js'
import { OutcomeUnknownError } from '../src/errors.js'
import { HttpKvRpc } from '../src/http/client-rpc.js'
import { call } from './http-helpers.js'
import { SingleNode } from './single-node.js'

describe('HTTP sessions', function () {
  this.timeout(30_000)
  let node: SingleNode
  before(async () => {
    node = await SingleNode.start({ kv: { sessionExpiryEntries: 3 } })
  })
  after(async () => {
    await node.stop()
  })

  it('a retried seq-1 write after its session expired is refused with 410 SESSION_EXPIRED, not run again', async () => {
    const clientId = await node.openSession()
    const first = await node.write('append', 'bug2', 'x', { clientId, seq: 1 })
    expect(first.status).to.equal(204) // ... and suppose the client never saw this answer
    for (let i = 0; i < 5; i++)
      expect((await node.write('put', `other-${i}`, 'v')).status).to.equal(204)
    const retry = await node.write('append', 'bug2', 'x', { clientId, seq: 1 })
    expect(retry.status).to.equal(410)
    expect(JSON.parse(retry.body)).to.include({ error: 'SESSION_EXPIRED' })
    expect(node.kv.stateMachine.get('bug2')).to.equal('x')
  })

  it('a write under an id that was never opened is refused (410) and runs nothing, whatever its seq', async () => {
    for (const seq of [1, 7]) {
      const r = await node.write('put', 'orphan', 'v', { clientId: 'never-opened', seq })
      expect(r.status).to.equal(410)
    }
    expect(node.kv.stateMachine.get('orphan')).to.equal('')
  })

  it('a different request under a used (client id, seq) gets 409 REQUEST_CONFLICT and runs nothing; the same request is a retry', async () => {
    const node3 = await SingleNode.start() // default expiry: the session stays
    try {
      const clientId = await node3.openSession()
      const s1 = { clientId, seq: 1 }
      expect((await node3.write('append', 'c', 'a', s1)).status).to.equal(204)
      expect((await node3.write('append', 'c', 'a', s1)).status).to.equal(204) // a true retry
      for (const [op, key, value] of [
        ['append', 'c', 'b'],
        ['put', 'c', 'a'],
        ['append', 'd', 'a'],
      ] as const) {
        const r = await node3.write(op, key, value, s1)
        expect(r.status, `${op} ${key} ${value}`).to.equal(409)
        expect(JSON.parse(r.body)).to.include({ error: 'REQUEST_CONFLICT' })
      }
      expect((await node3.write('append', 'c', 'b', { clientId, seq: 2 })).status).to.equal(204)
      const restarted = await node3.write('append', 'c', 'z', { clientId, seq: 1 })
      expect(restarted.status).to.equal(409) // a restarted counter is told, not ignored
      // Someone takes seq 2^53-1 under this id: the owner's next write conflicts, loudly.
      const max = { clientId, seq: Number.MAX_SAFE_INTEGER }
      expect((await node3.write('put', 'c', 'evil', max)).status).to.equal(204)
      expect((await node3.write('append', 'c', 'c', { clientId, seq: 3 })).status).to.equal(409)
      expect(node3.kv.stateMachine.get('c')).to.equal('evil')
      expect(node3.kv.stateMachine.get('d')).to.equal('')
    } finally {
      await node3.stop()
    }
  })

  it('an append whose stored result would exceed maxValueBytes is refused with 413 naming the limit', async () => {
    const small = await SingleNode.start({
      kv: { maxValueBytes: 1024 },
      http: { maxValueBytes: 1024 },
    })
    try {
      const chunk = 'a'.repeat(600)
      expect((await small.write('append', 'grow', chunk)).status).to.equal(204)
      const r = await small.write('append', 'grow', chunk)
      expect(r.status).to.equal(413)
      const body = JSON.parse(r.body) as { error: string; message: string }
      expect(body.error).to.equal('VALUE_TOO_LARGE')
      expect(body.message).to.match(/1200 bytes; the limit \(limits\.maxValueBytes\) is 1024/)
      expect(small.kv.stateMachine.get('grow')).to.equal(chunk)
    } finally {
      await small.stop()
    }
  })

  it('POST /v1/sessions issues a new unguessable id each time (201), opened in the session table', async () => {
    const a = await node.openSession()
    const b = await node.openSession()
    expect(a).to.match(/^s-[A-Za-z0-9_-]{22}$/)
    expect(b).to.not.equal(a)
    expect(node.kv.stateMachine.session(a)?.seq).to.equal(0)
    expect((await call(node.url('/v1/sessions'))).status).to.equal(405)
  })

  it('KvClient over HttpKvRpc writes under a server-issued id; a retried write whose session expired rejects with OutcomeUnknownError', async () => {
    const rpc = new HttpKvRpc({ endpoints: { n1: node.http.address } })
    const client = new KvClient({
      servers: ['n1'],
      rpc,
      clock: new SystemClock(),
      clientId: 'chosen-by-client',
      requestTimeoutMs: 2000,
      deadlineMs: 10_000,
    })
    try {
      await client.put('issued', 'a')
      expect(client.clientId).to.match(/^s-/)
      expect(node.kv.stateMachine.session(client.clientId)?.seq).to.equal(1)
      expect(node.kv.stateMachine.session('chosen-by-client')).to.equal(undefined)
    } finally {
      client.close()
      rpc.close()
    }
    // The clerk's rule, end to end: the first attempt is lost (a timeout), the session expires
    // meanwhile, the retry is refused: the outcome is unknown, and nothing ran twice.
    const real = new HttpKvRpc({ endpoints: { n1: node.http.address } })
    let appends = 0
    const lossy = {
      call: async (...args: Parameters<HttpKvRpc['call']>) => {
        const [, , request] = args
        const reply = await real.call(...args)
        if (request.type === 'append' && ++appends === 1) {
          for (let i = 0; i < 5; i++) await node.write('put', `filler-${i}`, 'v')
          throw new TimeoutError('reply lost')
        }
        return reply
      },
    }
    const clerk = new KvClient({
      servers: ['n1'],
      rpc: lossy,
      clock: new SystemClock(),
      requestTimeoutMs: 2000,
      deadlineMs: 10_000,
      backoff: { initialMs: 1, maxMs: 2 },
    })
    try {
      const err = await clerk.append('lossy', 'x').catch((e: unknown) => e)
      expect(err).to.be.instanceOf(OutcomeUnknownError)
      expect(node.kv.stateMachine.get('lossy')).to.equal('x')
      await clerk.append('lossy', 'y') // a new session, transparently
      expect(node.kv.stateMachine.get('lossy')).to.equal('xy')
    } finally {
      clerk.close()
      real.close()
    }
  })
})

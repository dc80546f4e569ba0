/**
 * GET /v1/admin/backup on the in-process 3-node HTTP cluster: the leader answers with a backup
 * holding every acknowledged write and session, only after its leadership is confirmed
 * (ReadIndex); a follower redirects; the secret is required; one backup at a time per node
 * (503 BUSY + Retry-After); a deposed leader never answers a stale backup; requests counted.
 */
import { request } from 'node:http'
import { expect } from 'chai'
import { decodeBackup } from '../src/backup-format.js'
import type { KvServer } from '../src/server.js'
import {
  BACKUP_INDEX_HEADER,
  BACKUP_PATH,
  BACKUP_TERM_HEADER,
  CLIENT_ID_HEADER,
  REQUEST_SEQ_HEADER,
  SECRET_HEADER,
} from '../src/http/protocol.js'
import { HttpTestCluster, TEST_SECRET, call } from './http-helpers.js'

const auth = { [SECRET_HEADER]: TEST_SECRET }

async function until(what: string, ms: number, probe: () => boolean): Promise<void> {
  const end = Date.now() + ms
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('GET /v1/admin/backup', function () {
  this.timeout(30_000)
  let c: HttpTestCluster
  let leader: string

  beforeEach(async () => {
    c = new HttpTestCluster()
    await c.start()
    leader = await c.leader()
  })
  afterEach(async () => {
    await c.stop()
  })

  it('the leader answers a backup holding every acknowledged write and session', async () => {
    for (let i = 0; i < 5; i++)
      expect(
        (await call(c.url(leader, `/v1/kv/k${i}`), { method: 'PUT', body: `v${i}` })).status,
      ).to.equal(204)
    const opened = await call(c.url(leader, '/v1/sessions'), { method: 'POST' })
    const clientId = (JSON.parse(opened.body) as { clientId: string }).clientId
    const session = { [CLIENT_ID_HEADER]: clientId, [REQUEST_SEQ_HEADER]: '1' }
    const append = { method: 'POST', body: '+a', headers: session }
    expect((await call(c.url(leader, '/v1/kv/k0/append'), append)).status).to.equal(204)
    const acknowledgedAt = c.kvs.get(leader)!.appliedIndex

    const r = await call(c.url(leader, BACKUP_PATH), { headers: auth })
    expect(r.status, r.body).to.equal(200)
    expect(r.headers['content-type']).to.equal('application/octet-stream')
    expect(Number(r.headers['content-length'])).to.equal(r.bytes.length)
    const b = decodeBackup(r.bytes)
    expect(b.index).to.be.at.least(acknowledgedAt)
    expect(r.headers[BACKUP_INDEX_HEADER]).to.equal(String(b.index))
    expect(r.headers[BACKUP_TERM_HEADER]).to.equal(String(b.term))
    expect(b.term).to.equal(c.rafts.get(leader)!.status().term)
    expect([...b.members].sort()).to.deep.equal(['n1', 'n2', 'n3'])
    expect(Object.fromEntries(b.state.data)).to.deep.equal({
      k0: 'v0+a',
      k1: 'v1',
      k2: 'v2',
      k3: 'v3',
      k4: 'v4',
    })
    expect(b.state.sessions.get(clientId)?.seq).to.equal(1)

    const metrics = await call(c.url(leader, '/metrics'))
    expect(metrics.body).to.match(/raftkit_http_requests_total\{[^}]*op="backup",status="200"\} 1/)
  })

  it('a follower redirects to the leader (307); the secret is required; GET only', async () => {
    const follower = c.follower(leader)
    const r = await call(c.url(follower, BACKUP_PATH), { headers: auth })
    expect(r.status).to.equal(307)
    expect(r.headers.location).to.equal(c.url(leader, BACKUP_PATH))
    expect((await call(c.url(leader, BACKUP_PATH))).status).to.equal(401)
    const wrong = { [SECRET_HEADER]: 'not-the-secret-000000' }
    expect((await call(c.url(leader, BACKUP_PATH), { headers: wrong })).status).to.equal(401)
    const post = await call(c.url(leader, BACKUP_PATH), { method: 'POST', headers: auth })
    expect(post.status).to.equal(405)
    const head = await call(c.url(leader, BACKUP_PATH), { method: 'HEAD', headers: auth })
    expect(head.status).to.equal(405)
  })

  it('one backup at a time: another request meanwhile gets 503 BUSY with Retry-After; the slot is freed after an answer, failed or not', async () => {
    const kv = c.kvs.get(leader)!
    const barrier = kv.readBarrier.bind(kv)
    let release: (() => void) | undefined
    let outcome: Awaited<ReturnType<KvServer['readBarrier']>> | 'real' = 'real'
    kv.readBarrier = () =>
      new Promise((resolve) => {
        release = () => resolve(outcome === 'real' ? barrier() : outcome)
      })
    const first = call(c.url(leader, BACKUP_PATH), { headers: auth })
    await until('the first backup to wait for its barrier', 5000, () => release !== undefined)
    const second = await call(c.url(leader, BACKUP_PATH), { headers: auth })
    expect(second.status).to.equal(503)
    expect(JSON.parse(second.body).error).to.equal('BUSY')
    expect(second.headers['retry-after']).to.equal('1')
    release!()
    expect((await first).status).to.equal(200)

    // A refused barrier answers its failure and frees the slot too.
    release = undefined
    outcome = { ok: false, error: 'TIMEOUT' }
    const failed = call(c.url(leader, BACKUP_PATH), { headers: auth })
    await until('the third backup to wait', 5000, () => release !== undefined)
    release!()
    expect((await failed).status).to.equal(504)
    outcome = 'real'
    release = undefined
    const again = call(c.url(leader, BACKUP_PATH), { headers: auth })
    await until('the fourth backup to wait', 5000, () => release !== undefined)
    release!()
    expect((await again).status).to.equal(200)
  })

  it('a client that leaves while its backup is being taken frees the slot', async () => {
    const kv = c.kvs.get(leader)!
    const barrier = kv.readBarrier.bind(kv)
    let release: (() => void) | undefined
    kv.readBarrier = () => new Promise((resolve) => (release = () => resolve(barrier())))
    const gone = request(c.url(leader, BACKUP_PATH), { agent: false, headers: auth })
    gone.once('error', () => undefined)
    gone.end()
    await until('the backup to wait for its barrier', 5000, () => release !== undefined)
    const closed = new Promise((r) => gone.once('close', r))
    gone.destroy()
    await closed
    await new Promise((r) => setTimeout(r, 50)) // the server sees the connection end
    release!()
    kv.readBarrier = barrier
    // The abandoned backup ends as soon as its barrier resolves; from then on the slot is free.
    let status = 0
    const end = Date.now() + 5000
    while (status !== 200 && Date.now() < end) {
      status = (await call(c.url(leader, BACKUP_PATH), { headers: auth })).status
      if (status !== 200) await new Promise((r) => setTimeout(r, 50))
    }
    expect(status, 'a later backup is answered, not BUSY forever').to.equal(200)
  })

  it('a deposed leader cannot answer a stale backup; the new leader answers one with the newer write', async () => {
    expect((await call(c.url(leader, '/v1/kv/a'), { method: 'PUT', body: '1' })).status).to.equal(
      204,
    )
    c.net.disconnect(leader) // cut off: the other two elect a new leader
    expect(c.rafts.get(leader)!.getState().isLeader, 'still believes it leads').to.equal(true)
    const stale = call(c.url(leader, BACKUP_PATH), { headers: auth })
    const others = c.ids.filter((id) => id !== leader)
    await until('a new leader', 10_000, () =>
      others.some((id) => c.rafts.get(id)!.getState().isLeader),
    )
    const next = others.find((id) => c.rafts.get(id)!.getState().isLeader)!
    expect((await call(c.url(next, '/v1/kv/a'), { method: 'PUT', body: '2' })).status).to.equal(204)
    const r = await stale
    expect(r.status, r.body).to.be.oneOf([307, 503, 504])

    const fresh = await call(c.url(next, BACKUP_PATH), { headers: auth })
    expect(fresh.status).to.equal(200)
    expect(decodeBackup(fresh.bytes).state.data.get('a')).to.equal('2')
  })
})

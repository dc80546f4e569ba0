/**
 * The HTTP API during a leadership transfer (issue 13): the old leader holds a write it cannot
 * propose while it hands leadership over and answers it with a redirect to the new leader (or
 * runs it, if the transfer is abandoned) — never 503 without a leader; and a 503 names the
 * leader in Raftkit-Leader when it is known but its address is not, which HttpKvRpc turns
 * into a leader hint.
 */
import { expect } from 'chai'
import { HttpKvRpc } from '../src/http/client-rpc.js'
import { LEADER_HEADER } from '../src/http/protocol.js'
import { HttpTestCluster, call } from './http-helpers.js'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

describe('HTTP API during a leadership transfer', function () {
  this.timeout(30_000)

  it('a PUT to the old leader while it hands leadership over is held, then redirected (307, Raftkit-Leader) to the new leader — not refused with 503', async () => {
    const c = new HttpTestCluster()
    await c.start()
    try {
      const leader = await c.leader()
      expect(
        (await call(c.url(leader, '/v1/kv/k'), { method: 'PUT', body: 'v0' })).status,
      ).to.equal(204)
      const target = c.follower(leader)
      // The target cannot take over while it is cut off: the transfer stays under way.
      c.net.disconnect(target)
      const transfer = c.rafts.get(leader)!.transferLeadership(target)
      transfer.catch(() => undefined)
      let answeredAt: number | undefined
      const put = call(c.url(leader, '/v1/kv/k'), { method: 'PUT', body: 'v1' }).then((r) => {
        answeredAt = Date.now()
        return r
      })
      await sleep(60)
      const reconnectedAt = Date.now()
      expect(answeredAt, 'held while the transfer is under way').to.equal(undefined)
      c.net.connect(target)
      const r = await put
      expect(answeredAt).to.be.at.least(reconnectedAt)
      expect(r.status, r.body).to.not.equal(503)
      if (r.status === 307) {
        // The transfer completed: the answer names the new leader.
        expect(r.headers[LEADER_HEADER]).to.equal(target)
        expect(r.headers.location).to.equal(c.url(target, '/v1/kv/k'))
        await transfer
        expect(c.rafts.get(target)!.getState().isLeader).to.equal(true)
      } else {
        // The transfer was abandoned (a starved machine): the old leader ran the write.
        expect(r.status, r.body).to.equal(204)
        expect(c.rafts.get(leader)!.getState().isLeader).to.equal(true)
      }
    } finally {
      await c.stop()
    }
  })

  it('a 503 names the leader in Raftkit-Leader when its address is unknown; HttpKvRpc makes that a leader hint', async () => {
    const c = new HttpTestCluster()
    await c.start()
    const endpoints = { ...c.addresses }
    const rpc = new HttpKvRpc({ endpoints })
    try {
      const leader = await c.leader()
      const follower = c.follower(leader)
      delete c.addresses[leader] // the follower no longer knows where the leader listens
      const r = await call(c.url(follower, '/v1/kv/k'))
      expect(r.status).to.equal(503)
      expect(JSON.parse(r.body).error).to.equal('NO_LEADER')
      expect(r.headers[LEADER_HEADER]).to.equal(leader)
      const reply = await rpc.call('test', follower, { type: 'get', key: 'k' }, 5000)
      expect(reply).to.deep.equal({ ok: false, error: 'WRONG_LEADER', leaderHint: leader })
    } finally {
      rpc.close()
      await c.stop()
    }
  })
})

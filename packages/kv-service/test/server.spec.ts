import { expect } from 'chai'
import { TimeoutError } from '@raftkit/raft-core'
import type { KvReply, KvRequest, KvRpcNetwork } from '../src/index.js'
import { KvCluster } from './cluster.js'
import { expectAppendsOnce } from './checks.js'

/** Passes calls through, letting a test replace a reply by a lost one. */
class ReplyInterceptor implements KvRpcNetwork {
  constructor(
    private readonly inner: KvRpcNetwork,
    private readonly hook: (to: string, request: KvRequest, reply: KvReply) => Promise<boolean>,
  ) {}
  async call(from: string, to: string, request: KvRequest, timeoutMs: number): Promise<KvReply> {
    const reply = await this.inner.call(from, to, request, timeoutMs)
    if (await this.hook(to, request, reply)) throw new TimeoutError('reply lost (test)')
    return reply
  }
}

const settle = <T>(p: Promise<T>): Promise<{ value?: T; error?: unknown }> =>
  p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  )

describe('KvServer + KvClient over transport-memory (simulated time)', () => {
  it('serves put, append and get; a missing key reads as ""', async () => {
    const c = new KvCluster({ n: 3, seed: 11 })
    await c.run(async () => {
      await c.startAll()
      const ck = c.client()
      expect(await ck.get('x')).to.equal('')
      await ck.put('x', 'a')
      await ck.append('x', 'b')
      await ck.append('y', 'c')
      const other = c.client()
      expect(await other.get('x')).to.equal('ab')
      expect(await other.get('y')).to.equal('c')
    })
  })

  it('applies a write exactly once when the leader dies after committing it and the clerk retries', async () => {
    const c = new KvCluster({ n: 3, seed: 12 })
    await c.run(async () => {
      await c.startAll()
      let crashed: string | undefined
      const rpc = new ReplyInterceptor(c.rpc, async (to, request, reply) => {
        if (crashed || request.type !== 'append' || !reply.ok) return false
        crashed = to // the append is committed and applied on `to`; now it dies unanswered
        await c.crash(to)
        return true
      })
      const ck = c.client({ rpc })
      await ck.put('k', '[')
      await ck.append('k', 'x')
      expect(crashed).to.be.a('string')
      const reader = c.client()
      expect(await reader.get('k')).to.equal('[x')
      await c.start(crashed as string) // the old leader comes back and catches up
      await ck.append('k', ']')
      expect(await reader.get('k')).to.equal('[x]')
    })
  })

  it('keeps appends exactly-once and in order through leader crashes on an unreliable clerk network', async () => {
    const c = new KvCluster({ n: 5, seed: 13 })
    await c.run(async () => {
      await c.startAll()
      c.rpc.setReliable(false)
      const ck = c.client()
      const expected: string[] = []
      for (let i = 0; i < 30; i++) {
        if (i % 10 === 5) {
          const leader = await c.waitLeader()
          await c.crash(leader)
          await c.clock.sleep(200)
          await c.start(leader)
        }
        const element = `x 0 ${i} y`
        await ck.append('k', element)
        expected.push(element)
      }
      c.rpc.setReliable(true)
      expectAppendsOnce(await c.client().get('k'), expected)
    })
  })

  it('a leader partitioned into the minority serves neither reads nor writes; after healing the write lands', async () => {
    const c = new KvCluster({ n: 5, seed: 14 })
    await c.run(async () => {
      await c.startAll()
      await c.client().put('1', '13')
      const leader = await c.waitLeader()
      const others = c.ids.filter((id) => id !== leader)
      const majority = others.slice(0, 3)
      const minority = [leader, ...others.slice(3)]
      c.net.partition([majority, minority])

      // Issued at once, while the old leader still believes it leads.
      const minorityReader = c.client({ deadlineMs: 3000 })
      c.rpc.setLinks(minorityReader.name, minority)
      const minorityGet = settle(minorityReader.get('1'))
      const minorityWriter = c.client()
      c.rpc.setLinks(minorityWriter.name, minority)
      let putDone = false
      const minorityPut = minorityWriter.put('1', '15').then(() => {
        putDone = true
      })

      const majorityClerk = c.client()
      c.rpc.setLinks(majorityClerk.name, majority)
      await majorityClerk.put('1', '14')
      expect(await majorityClerk.get('1')).to.equal('14')

      const read = await minorityGet
      expect(read.value, 'a minority get completed').to.equal(undefined)
      expect(read.error).to.be.instanceOf(TimeoutError)
      expect(putDone, 'a minority put completed').to.equal(false)

      await majorityClerk.put('1', '16')
      c.net.heal()
      c.rpc.setLinks(minorityWriter.name, null)
      await minorityPut
      expect(await c.client().get('1')).to.equal('15')
    })
  })

  it('snapshots when the Raft state reaches maxRaftState and keeps persisted state bounded', async () => {
    const maxRaftState = 1000
    const c = new KvCluster({ n: 3, seed: 15, maxRaftState })
    await c.run(async () => {
      await c.startAll()
      const ck = c.client()
      for (let i = 0; i < 100; i++) {
        await ck.put('x', '0')
        expect(await ck.get('x')).to.equal('0')
        await ck.put('x', '1')
        expect(await ck.get('x')).to.equal('1')
      }
      expect(c.maxRaftStateBytes()).to.be.at.most(8 * maxRaftState)
      for (const [id, raft] of c.rafts) expect(raft.status().snapshotIndex, id).to.be.greaterThan(0)
      for (const s of c.storages.values()) expect(s.size().snapshotBytes).to.be.within(1, 500)
    })
  })

  it('takes no snapshot when maxRaftState is unset', async () => {
    const c = new KvCluster({ n: 3, seed: 16 })
    await c.run(async () => {
      await c.startAll()
      const ck = c.client()
      for (let i = 0; i < 50; i++) await ck.append('x', `${i},`)
      for (const s of c.storages.values()) expect(s.size().snapshotBytes).to.equal(0)
    })
  })

  it('restarts from its snapshot with the data and the session table (retries stay deduplicated)', async () => {
    const c = new KvCluster({ n: 3, seed: 17, maxRaftState: 500 })
    await c.run(async () => {
      await c.startAll()
      const ck = c.client()
      const expected: string[] = []
      for (let i = 0; i < 40; i++) {
        await ck.append('k', `<${i}>`)
        expected.push(`<${i}>`)
      }
      const session = ck.clientId
      for (const id of c.ids) await c.crash(id)
      for (const id of c.ids)
        expect(c.storages.get(id)?.size().snapshotBytes, id).to.be.greaterThan(0)
      await c.clock.sleep(500)
      await c.startAll()

      const reader = c.client()
      expect(await reader.get('k')).to.equal(expected.join(''))
      // The clerk's session survived the restart: a retry of its last append is answered from
      // the session table and not executed again; an older seq is refused, not executed...
      const leader = await c.waitLeader()
      const retry = await c.servers.get(leader)?.append('k', '<39>', session, 40)
      expect(retry).to.deep.equal({ ok: true, value: '' })
      const older = await c.servers.get(leader)?.append('k', '<0>', session, 1)
      expect(older).to.deep.include({ ok: false, error: 'CONFLICT' })
      // ...and the clerk goes on in the same session.
      await ck.append('k', '<40>')
      expected.push('<40>')
      expect(ck.clientId).to.equal(session)
      expectAppendsOnce(await reader.get('k'), expected)
      expect(await reader.get('k')).to.equal(expected.join(''))
    })
  })
})

/**
 * The runtime's public face (runtime.ts): what start() answers when it cannot propose, what
 * snapshot() refuses or skips, that a killed node refuses membership changes and transfers,
 * that onStateChange tells each change of term or leadership once, and how a failure and the
 * closing of the transport are reported. Found by mutation testing (TESTING.md "raft-core's
 * runtime (session 20)").
 */
import { expect } from 'chai'
import { SimulatedClock } from '../src/clock.js'
import { StorageError, StoppedError } from '../src/errors.js'
import { MemoryLogger } from '../src/logger.js'
import { Raft } from '../src/runtime.js'
import { createRng } from '../src/rng.js'
import { TestCluster, bytes } from './cluster.js'
import { ae, entry } from './helpers/fixture.js'
import { FakeTransport } from './helpers/fake-transport.js'
import { HeldStorage } from './helpers/held-storage.js'

const entries = (lo: number, hi: number) =>
  Array.from({ length: hi - lo + 1 }, (_, i) => entry(lo + i, 1))

/** What `p` settled with after `ms` of simulated time, or 'pending'. */
async function within<T>(clock: SimulatedClock, p: Promise<T>, ms: number): Promise<unknown> {
  let outcome: unknown = 'pending'
  p.then(
    (v) => (outcome = { resolved: v }),
    (e: unknown) => (outcome = e),
  )
  for (let i = 0; i < ms && outcome === 'pending'; i++) await clock.advance(1)
  return outcome
}

/** Node `a` of a three-node cluster (or alone), fed by hand, with a disk the test holds. */
async function node(peers = ['a', 'b', 'c'], transport = new FakeTransport('a')) {
  const clock = new SimulatedClock()
  const storage = new HeldStorage()
  const logger = new MemoryLogger()
  const raft = await Raft.create({
    id: 'a',
    peers,
    transport,
    storage,
    clock,
    logger,
    rng: createRng(1),
  })
  const applied: number[] = []
  raft.onApply((m) => {
    applied.push(m.index)
  })
  return { clock, storage, logger, raft, transport, applied }
}

/** Follower `a` that applied 1..5 (committed by leader `b`) while its own write of them is held. */
async function appliedNotDurable() {
  const n = await node()
  n.storage.hold()
  n.transport.deliver(ae({ from: 'b', to: 'a', term: 1, entries: entries(1, 5), leaderCommit: 5 }))
  await n.clock.advance(1)
  expect(n.applied).to.deep.equal([1, 2, 3, 4, 5])
  expect(n.raft.status().snapshotIndex).to.equal(0)
  return n
}

describe('Raft runtime: the public face’s rules', () => {
  let cluster: TestCluster | undefined
  afterEach(async () => {
    await cluster?.clock.run(() => cluster!.shutdown())
    cluster = undefined
  })

  it('start() answers index -1 and not leader during a leadership transfer, without a warning', async () => {
    const c = (cluster = new TestCluster({ seed: 11 }))
    await c.clock.run(async () => {
      await c.startAll()
      const leader = await c.leader()
      const target = c.ids.find((id) => id !== leader.id)!
      const { term } = leader.getState()
      const transfer = leader.transferLeadership(target).catch(() => undefined)
      expect(leader.start(bytes('x'))).to.deep.equal({ index: -1, term, isLeader: false })
      expect(c.warnings.filter((w) => w.msg === 'proposal refused')).to.deep.equal([])
      await transfer
    })
  })

  it('start() answers index -1 on a killed node, and for a command that is not bytes (logged)', async () => {
    const n = await node(['a'])
    while (!n.raft.getState().isLeader) await n.clock.advance(1)
    const { term } = n.raft.getState()
    const refused = n.raft.start('text' as unknown as Uint8Array)
    expect(refused).to.deep.equal({ index: -1, term, isLeader: false })
    expect(n.logger.records.filter((r) => r.msg === 'proposal refused')).to.deep.equal([
      {
        level: 'warn',
        msg: 'proposal refused',
        fields: { error: 'TypeError: propose: data must be a Uint8Array' },
      },
    ])
    await n.raft.kill()
    expect(n.raft.start(bytes('x'))).to.deep.equal({ index: -1, term, isLeader: false })
  })

  it('snapshot() past the applied index rejects with a RangeError naming both', async () => {
    const n = await node(['a'])
    while (!n.raft.getState().isLeader) await n.clock.advance(1)
    const applied = n.raft.appliedIndex()
    const error = await n.raft.snapshot(applied + 1, bytes('s')).catch((e: unknown) => e)
    expect(error).to.be.instanceOf(RangeError)
    expect((error as Error).message).to.equal(
      `cannot snapshot at ${applied + 1}: only ${applied} is applied`,
    )
    await n.raft.kill()
  })

  it('snapshot() calls waiting for the same write: one at or below the other’s index does nothing', async () => {
    const n = await appliedNotDurable()
    const at5 = n.raft.snapshot(5, bytes('state@5'))
    const at3 = n.raft.snapshot(3, bytes('state@3'))
    const at5again = n.raft.snapshot(5, bytes('state@5'))
    n.storage.release()
    expect(await within(n.clock, at5, 10)).to.deep.equal({ resolved: undefined })
    expect(await within(n.clock, at3, 10)).to.deep.equal({ resolved: undefined })
    expect(await within(n.clock, at5again, 10)).to.deep.equal({ resolved: undefined })
    expect(n.raft.status()).to.include({ snapshotIndex: 5 })
    expect(n.raft.status().stopReason).to.equal(undefined)
    await n.raft.kill()
  })

  it('snapshot() waiting for its entries’ write rejects with StoppedError when the node is killed', async () => {
    const n = await appliedNotDurable()
    const at5 = n.raft.snapshot(5, bytes('state@5'))
    await n.clock.advance(1)
    const killed = n.raft.kill()
    n.storage.release()
    expect(await within(n.clock, at5, 50)).to.be.instanceOf(StoppedError)
    await killed
  })

  it('a killed node refuses membership changes and leadership transfers with StoppedError', async () => {
    const n = await node(['a'])
    while (!n.raft.getState().isLeader) await n.clock.advance(1)
    await n.raft.kill()
    const change = n.raft.changeMembership({ voters: ['a'], learners: ['b'] })
    expect(await within(n.clock, change, 50)).to.be.instanceOf(StoppedError)
    const transfer = n.raft.transferLeadership('a')
    expect(await within(n.clock, transfer, 50)).to.be.instanceOf(StoppedError)
  })

  it('onStateChange tells each change of term or leadership once, a new term at the same role too', async () => {
    const c = (cluster = new TestCluster({ seed: 12 }))
    await c.clock.run(async () => {
      await c.startAll()
      const told = new Map<string, string[]>(c.ids.map((id) => [id, []]))
      const throwing: string[] = []
      for (const id of c.ids) {
        c.node(id).onStateChange(() => {
          throwing.push(id)
          throw new Error('listener bug')
        })
        c.node(id).onStateChange((s) => told.get(id)!.push(`${s.term}:${s.isLeader}`))
      }
      const first = await c.leader()
      for (let i = 0; i < 5; i++) {
        const { index } = first.start(bytes(`v${i}`))
        await c.waitFor(() => c.ids.every((id) => c.node(id).appliedIndex() >= index))
      }
      c.net.disconnect(first.id)
      await c.waitFor(() => c.leaders().some((id) => id !== first.id))
      const second = c.leaders().find((id) => id !== first.id)!
      const bystander = c.ids.find((id) => id !== first.id && id !== second)!
      const term = c.node(second).getState().term
      for (const id of c.ids) {
        const states = told.get(id)!
        // Never the same state twice in a row: commits alone tell nobody anything.
        expect(
          states.filter((s, i) => s === states[i - 1]),
          id,
        ).to.deep.equal([])
      }
      // The bystander stayed a follower and was told the new term.
      expect(told.get(bystander)!.at(-1)).to.equal(`${term}:false`)
      expect(told.get(second)!.at(-1)).to.equal(`${term}:true`)
      // A throwing listener is logged; the next one is still told.
      expect(throwing.length).to.equal(c.ids.reduce((n, id) => n + told.get(id)!.length, 0))
      const logged = c.warnings.filter((w) => w.msg === 'an onStateChange listener threw')
      expect(logged.length).to.equal(throwing.length)
      expect(logged[0]?.fields).to.deep.equal({ error: 'Error: listener bug' })
    })
  })

  it('a failure that is not a StorageError stops the node with one that says so and keeps the cause', async () => {
    const c = (cluster = new TestCluster({ seed: 8 }))
    await c.clock.run(async () => {
      await c.startAll()
      const leader = await c.leader()
      const fire = new Error('disk on fire')
      c.storages.get(leader.id)!.write = () => Promise.reject(fire)
      leader.start(bytes('doomed'))
      await c.waitFor(() => leader.status().stopReason !== undefined)
      const reason = leader.status().stopReason!
      expect(reason).to.be.instanceOf(StorageError)
      expect(reason.message).to.equal('the node stopped after a failure: Error: disk on fire')
      expect(reason.cause).to.equal(fire)
      const stopping = c.warnings.filter((w) => w.id === leader.id && w.msg === 'stopping the node')
      expect(stopping).to.deep.equal([
        { id: leader.id, msg: 'stopping the node', fields: { error: 'Error: disk on fire' } },
      ])
    })
  })

  it('kill() resolves when the transport fails to close, and logs only that failure', async () => {
    class FailsToClose extends FakeTransport {
      override async close(): Promise<void> {
        await super.close()
        throw new Error('socket stuck')
      }
    }
    const n = await node(['a', 'b', 'c'], new FailsToClose('a'))
    await n.raft.kill()
    expect(n.logger.records.filter((r) => r.level === 'warn')).to.deep.equal([
      { level: 'warn', msg: 'error while closing', fields: { error: 'Error: socket stuck' } },
    ])
  })
})

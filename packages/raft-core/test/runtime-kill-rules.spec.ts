/**
 * A node killed from inside its own listeners, in the middle of a turn of its pump: once kill()
 * has returned, it hands the transport nothing more, writes nothing more, tells no listener
 * anything more and hands its service no more entries; kill() itself neither throws nor leaves
 * a timer or a promise behind. The users of a Raft library do this (a leader that removed
 * itself shuts down when it sees the removal commit or when it steps down, a service stops on
 * some command), so each rule runs on a three-node cluster (SimulatedClock, the simulated
 * network, MemoryStorage on a disk a little slower than the network, so that messages arrive
 * while a write is in flight) that commits a configuration change. Each node's sends, writes,
 * listener calls and applied entries go into one log, in which "killed" marks where kill()
 * returned. Written for two survivors of mutation testing in runtime-pump.ts (TESTING.md
 * "raft-core's runtime (session 20)").
 */
import { expect } from 'chai'
import type { ApplyMsg } from '../src/apply.js'
import { SimulatedClock } from '../src/clock.js'
import { StoppedError } from '../src/errors.js'
import { MemoryStorage } from '../src/memory-storage.js'
import { members } from '../src/membership.js'
import type { Message } from '../src/messages.js'
import { Raft } from '../src/runtime.js'
import { createRng, seedFrom } from '../src/rng.js'
import type { StorageBatch } from '../src/storage.js'
import type { Transport } from '../src/transport.js'
import type { Membership, NodeId } from '../src/types.js'
import { bytes, text } from './cluster.js'
import { SimNetwork } from './helpers/sim-transport.js'

const IDS = ['n1', 'n2', 'n3']
/** MemoryStorage whose writes take `ms` of simulated time (3: a message takes 0), logged as they begin. */
class SlowDisk extends MemoryStorage {
  ms = 3
  constructor(
    private readonly clock: SimulatedClock,
    private readonly trace: string[],
  ) {
    super()
  }
  override async write(batch: StorageBatch): Promise<void> {
    const indexes = (batch.entries ?? []).map((e) => e.index)
    this.trace.push(`write [${indexes.join(',')}]`)
    await this.clock.sleep(this.ms)
    return super.write(batch)
  }
}

interface Member {
  readonly raft: Raft
  readonly disk: SlowDisk
  /** Sends, writes, listener calls and applied entries, in order; "killed" once kill() returned. */
  readonly log: string[]
}

const describeMembers = (m: Membership): string =>
  m.outgoing.length > 0 ? `${members(m).join(',')} joint` : members(m).join(',')
const shownApply = (m: ApplyMsg): string =>
  m.kind === 'command' ? `apply ${text(m.command)}` : `apply ${m.kind} ${m.index}`

class Cluster {
  readonly clock = new SimulatedClock()
  readonly net: SimNetwork
  readonly nodes = new Map<NodeId, Member>()

  constructor(
    readonly seed: number,
    private readonly pipelineLeaderAppends = false,
  ) {
    this.net = new SimNetwork(this.clock, seed)
  }

  async start(): Promise<void> {
    for (const id of IDS) {
      const log: string[] = []
      const endpoint = this.net.endpoint(id)
      const transport: Transport = {
        id,
        send: (m: Message) => {
          log.push(`send ${m.type} to ${m.to}`)
          endpoint.send(m)
        },
        listen: (handler) => endpoint.listen(handler),
        close: () => endpoint.close(),
      }
      const disk = new SlowDisk(this.clock, log)
      const raft = await Raft.create({
        id,
        peers: IDS,
        transport,
        storage: disk,
        clock: this.clock,
        rng: createRng(seedFrom(this.seed, id)),
        config: { pipelineLeaderAppends: this.pipelineLeaderAppends },
      })
      raft.onStateChange((s) => log.push(`state t${s.term} ${s.isLeader ? 'leader' : 'follower'}`))
      raft.onMembershipChange((m) =>
        log.push(
          `membership ${describeMembers(m)} committed ${describeMembers(raft.membership().committed)}`,
        ),
      )
      this.nodes.set(id, { raft, disk, log })
    }
  }

  /** Every node's service logs what it is handed; `also` runs after (and may kill). */
  consume(also: (id: NodeId, msg: ApplyMsg) => void = () => undefined): void {
    for (const [id, { raft, log }] of this.nodes)
      raft.onApply((msg) => {
        log.push(shownApply(msg))
        also(id, msg)
      })
  }

  /** The one leader, once the others know it. */
  async leader(): Promise<Member> {
    for (let waited = 0; waited < 5_000; waited += 10) {
      await this.clock.advance(10)
      const leaders = [...this.nodes.values()].filter((n) => n.raft.getState().isLeader)
      const id = leaders[0]?.raft.id
      if (
        leaders.length === 1 &&
        [...this.nodes.values()].every((n) => n.raft.status().leader === id)
      )
        return leaders[0] as Member
    }
    throw new Error('no leader within 5 s')
  }

  /** Kills every node and closes the network; returns the clock's timers still pending. */
  async shutdown(): Promise<number> {
    for (const { raft } of this.nodes.values()) await raft.kill()
    this.net.close()
    return this.clock.pending()
  }
}

/** kill() from inside a listener of `n`: logs "killed" once it returned; its promise. */
function killFromListener(n: Member): Promise<void> {
  const killing = n.raft.kill()
  n.log.push('killed')
  return killing
}

/** A listener that kills `n` the first time `when` holds; `killing` is kill()'s promise then. */
function killer(n: Member, when: () => boolean) {
  const k = {
    killing: undefined as Promise<void> | undefined,
    listener: (): void => {
      if (!k.killing && when()) k.killing = killFromListener(n)
    },
  }
  return k
}

/** What `n` did after kill() returned. */
const afterKill = (n: Member): string[] => n.log.slice(n.log.indexOf('killed') + 1)

const removed = (raft: Raft): boolean => !members(raft.membership().committed).includes(raft.id)

/** What `p` settled with after `ms` of simulated time, or 'pending'. */
async function within<T>(clock: SimulatedClock, p: Promise<T>, ms: number): Promise<unknown> {
  let outcome: unknown = 'pending'
  p.then(
    (v) => (outcome = { resolved: v }),
    (e: unknown) => (outcome = e),
  )
  await clock.advance(ms)
  return outcome
}

/** Starts the cluster with every service consuming; the leader asks to remove itself. */
async function leaderRemovesItself(
  c: Cluster,
): Promise<{ leader: Member; removal: Promise<Membership> }> {
  await c.start()
  c.consume()
  const leader = await c.leader()
  return { leader, removal: leader.raft.removeNode(leader.raft.id) }
}

/** The rest of the contract: kill() resolved, the node is stopped, no timer is left behind. */
async function expectReleased(c: Cluster, n: Member, killing: Promise<void> | undefined) {
  expect(n.log).to.include('killed')
  expect(await within(c.clock, killing!, 1)).to.deep.equal({ resolved: undefined })
  expect(n.raft.status().stopReason).to.be.instanceOf(StoppedError)
  expect(await c.shutdown()).to.equal(0)
}

const others = (n: Member): NodeId[] => IDS.filter((id) => id !== n.raft.id)

describe('Raft runtime: a node killed from inside its own listeners', () => {
  it('a leader killed by its onMembershipChange listener when its own removal commits sends, writes, tells and applies nothing more; the removal resolves', async () => {
    const c = new Cluster(1)
    const { leader: l, removal } = await leaderRemovesItself(c)
    const k = killer(l, () => removed(l.raft))
    l.raft.onMembershipChange(k.listener)
    expect(await within(c.clock, removal, 200)).to.deep.equal({
      resolved: { voters: others(l), learners: [], outgoing: [] },
    })
    // It handed leadership over and stepped down before the listener heard of the commit.
    const [to] = others(l)
    const before = l.log.slice(0, l.log.indexOf('killed'))
    expect(before).to.include.members(['state t1 follower', `send TimeoutNow to ${to}`])
    expect(before.at(-1)).to.equal(
      `membership ${others(l).join(',')} committed ${others(l).join(',')}`,
    )
    await c.clock.advance(500)
    expect(afterKill(l)).to.deep.equal([])
    await expectReleased(c, l, k.killing)
  })

  it('a leader whose removal commits while its own write is in flight (pipelined appends, a slower disk), killed by its onMembershipChange listener, hands out nothing of the Ready that followed: no state change told, no TimeoutNow', async () => {
    const c = new Cluster(1, true)
    await c.start()
    c.consume()
    const l = await c.leader()
    l.disk.ms = 20 // its followers' take 3 ms: they acknowledge C_new during its write
    const k = killer(l, () => removed(l.raft))
    l.raft.onMembershipChange(k.listener)
    const removal = l.raft.removeNode(l.raft.id)
    expect(await within(c.clock, removal, 200)).to.have.property('resolved')
    // The commit was stepped during the write of C_new (3): the core stepped down and queued
    // a TimeoutNow meanwhile, for the Ready after the one whose check() told the listener.
    expect(l.log.slice(-4)).to.deep.equal([
      'write [3]',
      'apply noop 3',
      `membership ${others(l).join(',')} committed ${others(l).join(',')}`,
      'killed',
    ])
    await c.clock.advance(500)
    expect(afterKill(l)).to.deep.equal([])
    expect(l.log.filter((e) => e.startsWith('send TimeoutNow'))).to.deep.equal([])
    await expectReleased(c, l, k.killing)
  })

  it('a leader killed by its onStateChange listener as it steps down (its removal committed) sends nothing of that Ready and tells its membership listeners nothing more', async () => {
    const c = new Cluster(1)
    const { leader: l, removal } = await leaderRemovesItself(c)
    const k = killer(l, () => !l.raft.getState().isLeader && removed(l.raft))
    l.raft.onStateChange(k.listener)
    // The node was killed before the pump turn that would settle the removal ended.
    expect(await within(c.clock, removal, 200)).to.be.instanceOf(StoppedError)
    expect(l.log.slice(-2)).to.deep.equal(['state t1 follower', 'killed'])
    // Its membership listener was told of C_new in effect before; the commit goes untold.
    expect(l.log.filter((e) => e.startsWith('membership')).at(-1)).to.equal(
      `membership ${others(l).join(',')} committed ${others(l).join(',')},${l.raft.id} joint`,
    )
    await c.clock.advance(500)
    expect(afterKill(l)).to.deep.equal([])
    await expectReleased(c, l, k.killing)
  })

  it('the onMembershipChange listeners after the one that killed the node are not told', async () => {
    const c = new Cluster(1)
    const { leader: l, removal } = await leaderRemovesItself(c)
    const k = killer(l, () => removed(l.raft))
    l.raft.onMembershipChange(k.listener)
    l.raft.onMembershipChange((m) => l.log.push(`second listener: ${describeMembers(m)}`))
    await within(c.clock, removal, 200)
    expect(l.log.filter((e) => e.startsWith('second listener'))).to.have.length(2) // joint, C_new
    expect(afterKill(l)).to.deep.equal([])
    await expectReleased(c, l, k.killing)
  })

  it('the onStateChange listeners after the one that killed the node are not told', async () => {
    const c = new Cluster(1)
    const { leader: l, removal } = await leaderRemovesItself(c)
    const k = killer(l, () => !l.raft.getState().isLeader && removed(l.raft))
    l.raft.onStateChange(k.listener)
    l.raft.onStateChange((s) => l.log.push(`second listener: leader ${s.isLeader}`))
    await within(c.clock, removal, 200)
    expect(afterKill(l)).to.deep.equal([])
    await expectReleased(c, l, k.killing)
  })

  it('a service that kills its node from the apply handler is handed nothing after the entry it was applying, and its node sends and writes nothing more', async () => {
    const c = new Cluster(1)
    await c.start()
    const l = await c.leader()
    const k = killer(l, () => l.log.at(-1) === 'apply halt')
    c.consume((id) => (id === l.raft.id ? k.listener() : undefined))
    // One Ready appends the four, one commits them: the service is handed them as one batch.
    for (const cmd of ['a', 'halt', 'b', 'c']) l.raft.start(bytes(cmd))
    await c.clock.advance(500)
    expect(l.log.slice(-3)).to.deep.equal(['apply a', 'apply halt', 'killed'])
    expect(afterKill(l)).to.deep.equal([])
    await expectReleased(c, l, k.killing)
  })
})

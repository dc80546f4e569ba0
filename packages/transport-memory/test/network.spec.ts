import { expect } from 'chai'
import {
  MalformedMessageError,
  MemoryLogger,
  SimulatedClock,
  StoppedError,
  SystemClock,
  encodeMessage,
} from '@raftkit/raft-core'
import type { AppendEntries, Message, NodeId } from '@raftkit/raft-core'
import { createMemoryNetwork } from '../src/index.js'
import type { MemoryNetwork } from '../src/index.js'

function vote(from: NodeId, to: NodeId, term = 1): Message {
  return { type: 'RequestVote', from, to, term, lastLogIndex: 0, lastLogTerm: 0, preVote: false }
}
function voteReply(from: NodeId, to: NodeId, term = 1): Message {
  return { type: 'RequestVoteReply', from, to, term, granted: true, preVote: false }
}

/** A network of named endpoints that records every delivery as "from->to:term". */
function setup(ids: NodeId[], seed = 1) {
  const clock = new SimulatedClock()
  const net = createMemoryNetwork({ seed, clock })
  const log: string[] = []
  const received: Message[] = []
  const ends = Object.fromEntries(
    ids.map((id) => {
      const e = net.endpoint(id)
      e.listen((m) => {
        log.push(`${m.from}->${m.to}:${m.term}`)
        received.push(m)
      })
      return [id, e]
    }),
  )
  return { clock, net, log, received, ends }
}

describe('memory network', () => {
  let net: MemoryNetwork | undefined
  afterEach(async () => {
    await net?.close()
    net = undefined
  })

  it('delivers through a clock timer, in FIFO order on a reliable network', async () => {
    const s = setup(['a', 'b'])
    net = s.net
    for (let t = 1; t <= 5; t++) s.ends.a!.send(vote('a', 'b', t))
    expect(s.log).to.deep.equal([]) // nothing is delivered synchronously
    expect(s.clock.pending()).to.equal(5)
    await s.clock.advance(0)
    expect(s.log).to.deep.equal(['a->b:1', 'a->b:2', 'a->b:3', 'a->b:4', 'a->b:5'])
  })

  it('hands the receiver a copy, never the sender object', async () => {
    const s = setup(['a', 'b'])
    net = s.net
    const data = new Uint8Array([1, 2, 3])
    const sent: AppendEntries = {
      type: 'AppendEntries',
      from: 'a',
      to: 'b',
      term: 2,
      prevLogIndex: 0,
      prevLogTerm: 0,
      leaderCommit: 0,
      entries: [{ index: 1, term: 2, kind: 'command', data }],
    }
    s.ends.a!.send(sent)
    data[0] = 99 // mutating after send does not reach the receiver
    await s.clock.advance(0)
    const got = s.received[0] as AppendEntries
    expect(got).to.not.equal(sent)
    expect(got.entries[0]!.data).to.not.equal(data)
    expect([...got.entries[0]!.data]).to.deep.equal([1, 2, 3])
  })

  it('partition: only nodes in the same group talk; unlisted nodes are isolated; heal restores', async () => {
    const s = setup(['a', 'b', 'c', 'd'])
    net = s.net
    s.net.partition([['a', 'b'], ['c']])
    for (const from of ['a', 'b', 'c', 'd'])
      for (const to of ['a', 'b', 'c', 'd']) if (from !== to) s.ends[from]!.send(vote(from, to))
    await s.clock.advance(0)
    expect(s.log.sort()).to.deep.equal(['a->b:1', 'b->a:1'])
    s.log.length = 0
    s.net.heal()
    s.ends.c!.send(vote('c', 'a'))
    s.ends.d!.send(vote('d', 'b'))
    await s.clock.advance(0)
    expect(s.log).to.deep.equal(['c->a:1', 'd->b:1'])
  })

  it('disconnect cuts a node off both ways (even from itself) until connect', async () => {
    const s = setup(['a', 'b'])
    net = s.net
    s.net.disconnect('a')
    expect(s.net.isConnected('a')).to.equal(false)
    s.ends.a!.send(vote('a', 'b'))
    s.ends.b!.send(vote('b', 'a'))
    s.ends.a!.send(vote('a', 'a'))
    await s.clock.advance(0)
    expect(s.log).to.deep.equal([])
    s.net.connect('a')
    s.ends.a!.send(vote('a', 'b'))
    await s.clock.advance(0)
    expect(s.log).to.deep.equal(['a->b:1'])
  })

  it('drops a message in flight when the receiver or the sender is disconnected before arrival', async () => {
    const s = setup(['a', 'b'])
    net = s.net
    s.net.setReliable(false) // 0–26 ms delays
    for (let t = 1; t <= 40; t++) s.ends.a!.send(vote('a', 'b', t))
    s.net.disconnect('b')
    await s.clock.advance(100)
    expect(s.log).to.deep.equal([])
    expect(s.net.inFlight()).to.equal(0)
    s.net.connect('b')
    for (let t = 1; t <= 40; t++) s.ends.a!.send(vote('a', 'b', t))
    s.net.partition([['a'], ['b']])
    await s.clock.advance(100)
    expect(s.log).to.deep.equal([])
  })

  it('counts rpcs (submitted, dropped included), messages, bytes and per-node deliveries', async () => {
    const s = setup(['a', 'b', 'c'])
    net = s.net
    const req = vote('a', 'b')
    const rep = voteReply('b', 'a')
    const reqBytes = encodeMessage(req).byteLength
    const repBytes = encodeMessage(rep).byteLength
    s.ends.a!.send(req)
    s.ends.a!.send(req)
    s.ends.b!.send(rep)
    s.net.disconnect('c')
    s.ends.a!.send(vote('a', 'c')) // dropped at send: still an rpc and its bytes count
    s.ends.c!.send(voteReply('c', 'a')) // dropped reply: no bytes
    await s.clock.advance(0)
    const st = s.net.stats()
    expect(st.rpcs).to.equal(3)
    expect(st.messages).to.equal(5)
    expect(st.bytes).to.equal(3 * reqBytes + repBytes)
    expect(st.nodes['b']).to.deep.equal({ rpcs: 2, bytes: 2 * reqBytes })
    expect(st.nodes['a']).to.deep.equal({ rpcs: 0, bytes: repBytes })
    expect(st.nodes['c']).to.deep.equal({ rpcs: 0, bytes: 0 })
  })

  it('a second endpoint(id) replaces the first: the old one gets and sends nothing, counts restart', async () => {
    const s = setup(['a', 'b'])
    net = s.net
    s.ends.a!.send(vote('a', 'b'))
    await s.clock.advance(0)
    expect(s.net.stats().nodes['b']!.rpcs).to.equal(1)
    const oldB = s.ends.b!
    s.ends.a!.send(vote('a', 'b', 2)) // in flight while b restarts: lost
    const newB = s.net.endpoint('b')
    const fresh: Message[] = []
    newB.listen((m) => fresh.push(m))
    expect(s.net.stats().nodes['b']!.rpcs).to.equal(0)
    oldB.send(vote('b', 'a', 7)) // the old incarnation is inert
    s.ends.a!.send(vote('a', 'b', 3))
    await s.clock.advance(0)
    expect(s.log).to.deep.equal(['a->b:1'])
    expect(fresh.map((m) => m.term)).to.deep.equal([3])
    expect(s.net.stats().nodes['b']!.rpcs).to.equal(1)
  })

  it('a message is lost when nothing listens, and a closed endpoint detaches', async () => {
    const s = setup(['a'])
    net = s.net
    const silent = s.net.endpoint('b') // never listens
    s.ends.a!.send(vote('a', 'b'))
    await s.clock.advance(0)
    expect(s.net.stats().nodes['b']!.rpcs).to.equal(0)
    const b2 = s.net.endpoint('b')
    const got: Message[] = []
    b2.listen((m) => got.push(m))
    s.ends.a!.send(vote('a', 'b'))
    await b2.close()
    await b2.close() // idempotent
    expect(s.clock.pending()).to.equal(0) // its in-flight delivery was cancelled
    s.ends.a!.send(vote('a', 'b'))
    await s.clock.advance(10)
    expect(got).to.deep.equal([])
    expect(silent.isOpen).to.equal(false)
  })

  it('rejects malformed messages with a typed error and changes no state', async () => {
    const s = setup(['a', 'b'])
    net = s.net
    const bad = { ...vote('a', 'b'), term: -1 } as Message
    expect(() => s.ends.a!.send(bad)).to.throw(MalformedMessageError)
    expect(() => s.ends.a!.send(vote('b', 'a'))).to.throw(MalformedMessageError, /cannot send/)
    expect(s.net.stats().messages).to.equal(0)
    expect(s.clock.pending()).to.equal(0)
  })

  it('logs a throwing handler and keeps delivering', async () => {
    const clock = new SimulatedClock()
    const logger = new MemoryLogger()
    net = createMemoryNetwork({ seed: 1, clock, logger })
    const a = net.endpoint('a')
    const b = net.endpoint('b')
    let calls = 0
    b.listen(() => {
      calls++
      throw new Error('boom')
    })
    a.send(vote('a', 'b'))
    a.send(vote('a', 'b'))
    await clock.advance(0)
    expect(calls).to.equal(2)
    expect(logger.records.filter((r) => r.level === 'error')).to.have.length(2)
  })

  it('unreliable: drops about 10% of requests and delays by 0–26 ms (fixed seed)', async () => {
    const s = setup(['a', 'b'], 42)
    net = s.net
    s.net.setReliable(false)
    const n = 2000
    const sentAt = s.clock.now()
    const arrivals: number[] = []
    s.ends.b!.listen(() => arrivals.push(s.clock.now() - sentAt))
    for (let i = 0; i < n; i++) s.ends.a!.send(vote('a', 'b', i))
    await s.clock.advance(1000)
    const dropRate = 1 - arrivals.length / n
    expect(dropRate).to.be.within(0.05, 0.15)
    expect(Math.min(...arrivals)).to.equal(0)
    expect(Math.max(...arrivals)).to.equal(26)
    expect(s.net.stats().rpcs).to.equal(n)
  })

  it('long reordering holds back about 2/3 of replies for 200–2199 ms; requests are not held', async () => {
    const s = setup(['a', 'b'], 7)
    net = s.net
    s.net.setLongReordering(true)
    const arrivals: Array<{ term: number; at: number }> = []
    s.ends.a!.listen((m) => arrivals.push({ term: m.term, at: s.clock.now() }))
    for (let t = 1; t <= 300; t++) s.ends.b!.send(voteReply('b', 'a', t))
    s.ends.b!.send(vote('b', 'a', 1000)) // a request: arrives at once
    await s.clock.advance(3000)
    expect(arrivals).to.have.length(301)
    const late = arrivals.filter((a) => a.at > 0)
    expect(late.length / 300).to.be.within(0.55, 0.78)
    for (const a of late) expect(a.at).to.be.within(200, 2199)
    expect(arrivals.find((a) => a.term === 1000)!.at).to.equal(0)
    const terms = arrivals.map((a) => a.term)
    expect(terms).to.not.deep.equal([...terms].sort((x, y) => x - y)) // reordered
  })

  it('the same seed gives the same delivery order; different seeds differ', async () => {
    async function run(seed: number): Promise<string[]> {
      const s = setup(['a', 'b', 'c'], seed)
      s.net.setReliable(false)
      s.net.setLongReordering(true)
      const out: string[] = []
      for (const id of ['a', 'b', 'c'])
        s.ends[id]!.listen((m) =>
          out.push(`${s.clock.now()}:${m.type}:${m.from}->${m.to}:${m.term}`),
        )
      for (let t = 1; t <= 50; t++) {
        s.ends.a!.send(vote('a', 'b', t))
        s.ends.b!.send(voteReply('b', 'c', t))
        s.ends.c!.send(voteReply('c', 'a', t))
      }
      await s.clock.advance(3000)
      await s.net.close()
      return out
    }
    const first = await run(5)
    expect(first.length).to.be.greaterThan(100)
    expect(await run(5)).to.deep.equal(first)
    expect(await run(6)).to.not.deep.equal(first)
  })

  it('close() cancels every pending delivery and is idempotent; endpoint() after close throws', async () => {
    const s = setup(['a', 'b'])
    s.net.setLongReordering(true)
    for (let t = 1; t <= 20; t++) s.ends.a!.send(voteReply('a', 'b', t))
    expect(s.clock.pending()).to.be.greaterThan(0)
    await s.net.close()
    await s.net.close()
    expect(s.clock.pending()).to.equal(0)
    expect(s.net.inFlight()).to.equal(0)
    s.ends.a!.send(vote('a', 'b')) // a no-op, not an error
    expect(() => s.net.endpoint('a')).to.throw(StoppedError)
    await s.clock.advance(5000)
    expect(s.log).to.deep.equal([])
  })

  it('works on the system clock', async () => {
    const clock = new SystemClock()
    net = createMemoryNetwork({ clock })
    const a = net.endpoint('a')
    const b = net.endpoint('b')
    const got = new Promise<Message>((resolve) => b.listen(resolve))
    a.send(vote('a', 'b', 9))
    expect((await got).term).to.equal(9)
    await net.close()
    expect(clock.pending()).to.equal(0)
  })
})

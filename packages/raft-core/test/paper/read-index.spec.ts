/** Linearizable reads through ReadIndex (thesis §6.4). */
import { expect } from 'chai'
import { NotLeaderError } from '../../src/errors.js'
import { Network } from '../helpers/network.js'
import { ackProbes, ae, aeReply, becomeLeader, fixture, ofType } from '../helpers/fixture.js'

describe('thesis §6.4 ReadIndex', () => {
  it('A new leader that has not committed an entry of its term appends a noop (once) and queues the read until it commits (bug #2)', () => {
    const net = new Network(['a', 'b', 'c'], { config: { checkQuorum: false } })
    net.elect('a')
    net.propose('a', 'x')
    net.elect('b') // without checkQuorum there is no leader lease: b takes over at once
    expect(net.node('b').status().term).to.equal(2)
    net.node('b').readIndex(1)
    net.node('b').readIndex(2)
    net.settle()
    const b = net.node('b')
    expect(b.entries(2, 3)[0]).to.include({ kind: 'noop', term: 2 })
    expect(b.status().lastIndex).to.equal(2)
    expect(net.readStates.get('b')).to.deep.equal([
      { requestId: 1, index: 2 },
      { requestId: 2, index: 2 },
    ])
  })

  it('A read is confirmed only after a majority acknowledges a heartbeat round sent after the request', () => {
    const f = fixture()
    becomeLeader(f)
    f.node.propose(new Uint8Array(1))
    f.drain()
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 1 }))
    f.drain()
    f.node.readIndex(7)
    const hb = ofType(f.drain(), 'AppendEntries')
    const round = hb[0]!.readContext!
    expect(hb.every((m) => m.readContext === round)).to.equal(true)
    expect(f.readies.flatMap((r) => r.readStates)).to.deep.equal([])
    f.node.step(
      aeReply({ from: 'c', to: 'a', term: 1, success: false, matchIndex: 1, readContext: round }),
    )
    f.drain()
    expect(f.readies.flatMap((r) => r.readStates)).to.deep.equal([{ requestId: 7, index: 1 }])
  })

  it('A delayed acknowledgement of an earlier round does not confirm a later read (bug #3)', () => {
    const f = fixture()
    becomeLeader(f)
    f.node.propose(new Uint8Array(1))
    f.drain()
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 1 }))
    f.drain()
    f.node.readIndex(1)
    const first = ofType(f.drain(), 'AppendEntries')[0]!.readContext!
    f.node.readIndex(2)
    const second = ofType(f.drain(), 'AppendEntries')[0]!.readContext!
    expect(second).to.be.greaterThan(first)
    f.node.step(aeReply({ from: 'c', to: 'a', term: 1, matchIndex: 1, readContext: first }))
    f.drain()
    expect(f.readies.flatMap((r) => r.readStates).map((r) => r.requestId)).to.deep.equal([1])
    f.node.step(aeReply({ from: 'c', to: 'a', term: 1, matchIndex: 1, readContext: second }))
    f.drain()
    expect(f.readies.flatMap((r) => r.readStates).map((r) => r.requestId)).to.deep.equal([1, 2])
  })

  it('An isolated (deposed) leader never confirms a read (bug #1)', () => {
    const net = new Network(['a', 'b', 'c'])
    net.elect('a')
    net.propose('a', 'x')
    net.isolate('a')
    net.node('a').readIndex(1)
    net.tick(['a'], 5)
    expect(net.readStates.get('a') ?? []).to.deep.equal([])
  })

  it('Pending reads are dropped when the leader steps down; readIndex on a follower throws NotLeaderError with the leader hint', () => {
    const net = new Network(['a', 'b', 'c'])
    net.elect('a')
    net.propose('a', 'x')
    net.isolate('a')
    net.node('a').readIndex(1)
    net.tick(['a'], 30) // checkQuorum steps it down
    net.heal()
    net.elect('b')
    net.tick(net.ids, 5)
    expect(net.readStates.get('a') ?? []).to.deep.equal([])
    expect(() => net.node('a').readIndex(2))
      .to.throw(NotLeaderError)
      .with.property('leaderHint', 'b')
  })

  it('A read pending when its leader stepped down is never confirmed later, even after the node leads again', () => {
    const f = fixture()
    becomeLeader(f)
    f.node.propose(new Uint8Array(1))
    f.drain()
    f.node.step(aeReply({ from: 'b', to: 'a', term: 1, matchIndex: 1 }))
    f.drain()
    f.node.readIndex(1) // its heartbeat round goes out, unanswered
    f.drain()
    f.node.step(
      ae({ from: 'b', to: 'a', term: 2, prevLogIndex: 1, prevLogTerm: 1, leaderCommit: 1 }),
    )
    f.drain()
    expect(f.node.status()).to.include({ role: 'follower', term: 2 })
    // a leads again (term 3), commits in its term and has every later round acknowledged
    becomeLeader(f)
    const term = f.node.getState().term
    ackProbes(f, 1)
    f.node.propose(new Uint8Array(1))
    f.drain()
    f.node.step(aeReply({ from: 'b', to: 'a', term, matchIndex: 2 }))
    f.drain()
    f.node.readIndex(2)
    for (let i = 0; i < 3; i++) {
      for (const m of ofType(f.drain(), 'AppendEntries'))
        if (m.readContext !== undefined)
          f.node.step(
            aeReply({ from: m.to, to: 'a', term, matchIndex: 2, readContext: m.readContext }),
          )
      f.node.tick()
    }
    f.drain()
    const ids = f.readies.flatMap((r) => r.readStates).map((r) => r.requestId)
    expect(ids).to.deep.equal([2])
  })

  it('Single-node cluster: reads are confirmed without any message', () => {
    const f = fixture({ peers: ['a'] })
    f.node.campaign()
    f.drain()
    f.node.readIndex(1)
    f.drain()
    expect(f.readies.flatMap((r) => r.readStates)).to.deep.equal([{ requestId: 1, index: 1 }])
    f.node.readIndex(2)
    expect(f.drain()).to.have.length(0)
    expect(f.readies.flatMap((r) => r.readStates).map((r) => r.requestId)).to.deep.equal([1, 2])
  })
})

import { expect } from 'chai'
import {
  ConfigError,
  MemoryLogger,
  StoppedError,
  UnknownPeerError,
  encodeMessage,
} from '@raftkit/raft-core'
import type { Message } from '@raftkit/raft-core'
import { createWsNetwork } from '../src/index.js'
import type { WsNetwork, WsTransport } from '../src/index.js'
import { vote, voteReply, waitFor } from './helpers.js'

describe('ws network (loopback)', function () {
  this.timeout(30_000)
  let net: WsNetwork | undefined
  afterEach(async () => {
    await net?.close()
    net = undefined
  })

  async function setup(ids = ['a', 'b', 'c'], logger = new MemoryLogger()) {
    net = await createWsNetwork({ ids, seed: 1, logger })
    const got: Record<string, Message[]> = {}
    const ends: Record<string, WsTransport> = {}
    for (const id of ids) {
      got[id] = []
      ends[id] = net.endpoint(id)
      ends[id].listen((m) => got[id]!.push(m))
    }
    return { net, got, ends }
  }

  it('delivers between endpoints and counts like the lab (rpcs, bytes, per node)', async () => {
    const { net, got, ends } = await setup()
    ends['a']!.send(vote('a', 'b'))
    ends['a']!.send(vote('a', 'c'))
    ends['b']!.send(voteReply('b', 'a'))
    await waitFor(
      () => got['b']!.length === 1 && got['c']!.length === 1 && got['a']!.length === 1,
      'all',
    )
    const stats = net.stats()
    const req = encodeMessage(vote('a', 'b')).byteLength
    const rep = encodeMessage(voteReply('b', 'a')).byteLength
    expect(stats).to.include({ rpcs: 2, messages: 3, bytes: 2 * req + rep })
    expect(stats.nodes['b']).to.deep.equal({ rpcs: 1, bytes: req })
    expect(stats.nodes['a']).to.deep.equal({ rpcs: 0, bytes: rep })
  })

  it('disconnect / partition / heal decide who hears whom', async () => {
    const { net, got, ends } = await setup()
    net.disconnect('c')
    ends['a']!.send(vote('a', 'c', 1))
    ends['c']!.send(vote('c', 'a', 1))
    ends['a']!.send(vote('a', 'b', 1))
    await waitFor(() => got['b']!.length === 1, 'a->b')
    net.connect('c')
    net.partition([['a'], ['b', 'c']])
    ends['a']!.send(vote('a', 'b', 2))
    ends['b']!.send(vote('b', 'c', 2))
    await waitFor(() => got['c']!.length === 1, 'b->c inside the group')
    net.heal()
    ends['a']!.send(vote('a', 'c', 3))
    await waitFor(() => got['c']!.length === 2, 'a->c after heal')
    expect(got['a']).to.be.empty
    expect(got['b']!.map((m) => m.term)).to.deep.equal([1])
    expect(got['c']!.map((m) => `${m.from}:${m.term}`)).to.deep.equal(['b:2', 'a:3'])
    expect(net.stats().rpcs).to.equal(6) // dropped requests count as submitted
  })

  it('unreliable mode drops some messages and delivers the rest', async () => {
    const { net, got, ends } = await setup(['a', 'b'])
    net.setReliable(false)
    for (let term = 1; term <= 200; term++) ends['a']!.send(vote('a', 'b', term))
    const dropped = ends['a']!.stats().dropped
    expect(dropped).to.be.within(5, 50)
    await waitFor(() => got['b']!.length === 200 - dropped, 'the survivors')
    net.setReliable(true)
  })

  it('endpoint(id) again restarts the node on the same port; the old transport is closed', async () => {
    const log = new MemoryLogger()
    const { net, got, ends } = await setup(['a', 'b'], log)
    ends['a']!.send(vote('a', 'b', 1))
    await waitFor(() => got['b']!.length === 1, 'first')
    const address = net.address('b')
    const fresh = net.endpoint('b')
    const freshGot: Message[] = []
    fresh.listen((m) => freshGot.push(m))
    fresh.send(vote('b', 'a', 2)) // sends work before the new server is bound
    await net.settled()
    // A message written into the dying connection would be lost (as over any network): wait
    // until a has seen its old connection to b go.
    await waitFor(
      () => log.records.some((r) => r.msg === 'connection to peer lost'),
      'a to see b go',
    )
    expect(net.address('b')).to.equal(address)
    expect(fresh.port).to.equal(Number(address.split(':')[1]))
    ends['a']!.send(vote('a', 'b', 3))
    await waitFor(() => freshGot.length === 1 && got['a']!.length === 1, 'traffic with the new b')
    ends['b']!.send(vote('b', 'a', 9)) // the old transport is closed: nothing
    expect(got['b']!.map((m) => m.term)).to.deep.equal([1])
    expect(net.stats().nodes['b']!.rpcs).to.equal(1) // counters restart with the node
    expect(net.stats().rpcs).to.equal(3)
  })

  it('rejects bad ids, and everything after close()', async () => {
    for (const ids of [[], ['a', 'a'], ['a', '']])
      await createWsNetwork({ ids }).then(
        () => expect.fail(`accepted ${JSON.stringify(ids)}`),
        (e: unknown) => expect(e).to.be.instanceOf(ConfigError),
      )
    const { net } = await setup(['a', 'b'])
    expect(() => net.endpoint('zz')).to.throw(UnknownPeerError)
    await net.close()
    await net.close()
    expect(() => net.endpoint('a')).to.throw(StoppedError)
  })
})

/** TransportMux: the group id travels with each message, is stripped on delivery, and routes it. */
import { expect } from 'chai'
import type { Message, Transport } from '@raftkit/raft-core'
import { TransportMux } from '../src/index.js'

/** Two endpoints wired back to back, delivering synchronously. */
function pair(): [Transport, Transport, Message[]] {
  const wire: Message[] = []
  const handlers = new Map<string, (m: Message) => void>()
  const make = (id: string): Transport => ({
    id,
    send: (m) => {
      wire.push(m)
      handlers.get(m.to)?.(m)
    },
    listen: (h) => void handlers.set(id, h),
    close: async () => undefined,
  })
  return [make('a'), make('b'), wire]
}

const vote = (from: string, to: string): Message => ({
  type: 'RequestVote',
  from,
  to,
  term: 1,
  lastLogIndex: 0,
  lastLogTerm: 0,
  preVote: false,
})

describe('TransportMux', () => {
  it('tags outgoing messages with the group and hands incoming ones, untagged, to that group only', () => {
    const [ta, tb, wire] = pair()
    const a = new TransportMux(ta)
    const b = new TransportMux(tb)
    const got: Record<string, Message[]> = { x: [], y: [] }
    b.group('x').listen((m) => got['x']!.push(m))
    b.group('y').listen((m) => got['y']!.push(m))
    a.group('x').send(vote('a', 'b'))
    expect((wire[0] as Message & { group: string }).group).to.equal('x')
    expect(got['x']).to.have.length(1)
    expect(got['y']).to.have.length(0)
    expect('group' in got['x']![0]!).to.equal(false)
  })

  it('drops and counts messages for no group or a group not hosted', () => {
    const [ta, tb] = pair()
    const a = new TransportMux(ta)
    const b = new TransportMux(tb)
    b.group('x').listen(() => undefined)
    a.group('z').send(vote('a', 'b'))
    ta.send(vote('a', 'b')) // untagged, straight on the shared transport
    expect(b.stats().dropped).to.equal(2)
  })

  it('a replaced or closed group transport is deaf and mute', async () => {
    const [ta, tb, wire] = pair()
    const a = new TransportMux(ta)
    const b = new TransportMux(tb)
    const old = b.group('x')
    const seen: string[] = []
    old.listen(() => seen.push('old'))
    b.group('x').listen(() => seen.push('new'))
    a.group('x').send(vote('a', 'b'))
    expect(seen).to.deep.equal(['new'])
    const before = wire.length
    old.send(vote('b', 'a'))
    expect(wire.length).to.equal(before)
    const gx = a.group('x')
    await gx.close()
    gx.send(vote('a', 'b'))
    expect(wire.length).to.equal(before)
    expect(a.hosted()).to.deep.equal([])
  })
})

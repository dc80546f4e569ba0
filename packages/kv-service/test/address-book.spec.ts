/**
 * The replicated address book (docs/architecture.md, "Where members listen"): address
 * commands set and delete entries on every replica alike, snapshots carry the book (format
 * raftkit-kv/3) so a restarted or joining node knows members added after the cluster file was
 * written, a cluster whose membership never changed keeps writing raftkit-kv/2, and malformed
 * address commands are skipped without touching the state.
 */
import { expect } from 'chai'
import { packValue, unpackValue } from '@raftkit/raft-core'
import { KvStateMachine, decodeCommand, encodeCommand } from '../src/index.js'

const addr = (id: string, peer: string, http: string): Uint8Array =>
  encodeCommand({ op: 'addr', id, peer, http })

describe('address book: address commands', () => {
  it('set, replace and delete entries; every replica ends with the same book', () => {
    const a = new KvStateMachine()
    const b = new KvStateMachine()
    const log = [
      addr('n4', '127.0.0.1:7004', '127.0.0.1:8004'),
      addr('n5', '127.0.0.1:7005', '127.0.0.1:8005'),
      addr('n4', '127.0.0.1:7104', '127.0.0.1:8104'),
      addr('n5', '', ''),
    ]
    for (const sm of [a, b]) log.forEach((c, i) => sm.apply(c, i + 1))
    const want = new Map([['n4', { peer: '127.0.0.1:7104', http: '127.0.0.1:8104' }]])
    expect(a.addressBook()).to.deep.equal(want)
    expect(b.addressBook()).to.deep.equal(want)
  })

  it('tells listeners after each address command and after a restore', () => {
    const sm = new KvStateMachine()
    let calls = 0
    sm.onAddresses(() => calls++)
    sm.apply(addr('n4', 'h:1', 'h:2'), 1)
    sm.apply(encodeCommand({ op: 'open', clientId: 'c' }), 2)
    expect(calls).to.equal(1)
    sm.restore(sm.snapshot())
    expect(calls).to.equal(2)
  })

  for (const [what, raw] of [
    ['an empty id', { op: 'addr', id: '', peer: 'h:1', http: 'h:2' }],
    ['a peer without http', { op: 'addr', id: 'n4', peer: 'h:1', http: '' }],
    ['a non-string peer', { op: 'addr', id: 'n4', peer: 7, http: 'h:2' }],
    ['an oversized id', { op: 'addr', id: 'x'.repeat(300), peer: 'h:1', http: 'h:2' }],
  ] as const)
    it(`skips an address command with ${what} and changes nothing`, () => {
      const sm = new KvStateMachine()
      sm.apply(addr('n4', 'h:1', 'h:2'), 1)
      const result = sm.apply(packValue(raw), 2)
      expect(result.status).to.equal('malformed')
      expect(sm.addressBook()).to.deep.equal(new Map([['n4', { peer: 'h:1', http: 'h:2' }]]))
    })

  it('encodes field by field (extra properties never reach the log)', () => {
    const cmd = { op: 'addr', id: 'n4', peer: 'h:1', http: 'h:2', extra: 1 } as const
    expect(decodeCommand(encodeCommand(cmd))).to.deep.equal({
      op: 'addr',
      id: 'n4',
      peer: 'h:1',
      http: 'h:2',
    })
  })
})

describe('address book: snapshots', () => {
  it('a snapshot carries the book (raftkit-kv/3): a restored replica knows the added members', () => {
    const sm = new KvStateMachine()
    sm.apply(encodeCommand({ op: 'open', clientId: 'c' }), 1)
    sm.apply(encodeCommand({ op: 'put', key: 'k', value: 'v', clientId: 'c', seq: 1 }), 2)
    sm.apply(addr('n4', 'h:1', 'h:2'), 3)
    const bytes = sm.snapshot()
    expect((unpackValue(bytes) as { format: string }).format).to.equal('raftkit-kv/3')
    const copy = new KvStateMachine()
    copy.restore(bytes)
    expect(copy.addressBook()).to.deep.equal(new Map([['n4', { peer: 'h:1', http: 'h:2' }]]))
    expect(copy.get('k')).to.equal('v')
  })

  it('with an empty book the snapshot is raftkit-kv/2, without an addresses field', () => {
    const sm = new KvStateMachine()
    sm.apply(encodeCommand({ op: 'open', clientId: 'c' }), 1)
    const body = unpackValue(sm.snapshot()) as Record<string, unknown>
    expect(body.format).to.equal('raftkit-kv/2')
    expect(Object.keys(body).sort()).to.deep.equal(['data', 'format', 'sessions'])
  })

  it('restoring a snapshot without a book empties the book (it replaces the whole state)', () => {
    const sm = new KvStateMachine()
    sm.apply(addr('n4', 'h:1', 'h:2'), 1)
    sm.restore(new KvStateMachine().snapshot())
    expect(sm.addressBook().size).to.equal(0)
  })

  it('a raftkit-kv/3 snapshot with a malformed book is refused and the state kept', () => {
    const sm = new KvStateMachine()
    sm.apply(addr('n4', 'h:1', 'h:2'), 1)
    const bad = packValue({
      format: 'raftkit-kv/3',
      data: [],
      sessions: [],
      addresses: ['n5', 'h:1'],
    })
    expect(() => sm.restore(bad)).to.throw(/addresses/)
    expect(sm.addressBook().size).to.equal(1)
  })
})

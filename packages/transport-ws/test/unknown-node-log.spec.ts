/**
 * A node removed from the cluster but still running redials every second or so with an id the
 * listener does not know: each connection is still refused (4001, the reason naming the id),
 * but the warning is logged once per id and then at most once a minute with a count
 * (RepeatLog), not once per connection.
 */
import { expect } from 'chai'
import { SimulatedClock } from '@raftkit/raft-core'
import { CloseCode } from '../src/index.js'
import { RepeatLog, leftOutNote } from '../src/repeat-log.js'
import { HOST, RawPeer, closeAll, logged, node } from './helpers.js'
import type { Node } from './helpers.js'

describe('RepeatLog', () => {
  it('answers the first occurrence of a key, then one per interval with the count left out', () => {
    let now = 0
    const r = new RepeatLog(() => now, 60_000)
    expect(r.take('z')).to.deep.equal({ leftOut: 0, sinceMs: 0 })
    let answered = 0
    for (let i = 0; i < 59; i++) {
      now += 1_000
      if (r.take('z') !== undefined) answered++
    }
    expect(answered).to.equal(0)
    expect(r.take('y'), 'another key has its own first line').to.deep.equal({
      leftOut: 0,
      sinceMs: 0,
    })
    now += 1_000
    const summary = r.take('z')
    expect(summary).to.deep.equal({ leftOut: 59, sinceMs: 60_000 })
    expect(leftOutNote(summary)).to.equal(' (59 more like it in the last 60 s, logged at debug)')
    expect(r.take('z')).to.equal(undefined)
  })

  it('sinceMs is the time since the key’s last line, on a clock that does not start at 0', () => {
    let now = 5_000
    const r = new RepeatLog(() => now, 1_000)
    expect(r.take('k')).to.deep.equal({ leftOut: 0, sinceMs: 0 })
    now += 500
    expect(r.take('k')).to.equal(undefined)
    now += 600
    expect(r.take('k')).to.deep.equal({ leftOut: 1, sinceMs: 1_100 })
  })

  it('tracks at most maxKeys keys: the least recently logged is forgotten first', () => {
    const r = new RepeatLog(() => 0, 60_000, 3)
    for (const k of ['a', 'b', 'c']) expect(r.take(k)).to.not.equal(undefined)
    expect(r.take('a')).to.equal(undefined) // tracked
    expect(r.take('d')).to.not.equal(undefined) // forgets a
    expect(r.take('b')).to.equal(undefined)
    expect(r.take('a')).to.not.equal(undefined) // a first occurrence again; forgets b
    expect(r.take('c')).to.equal(undefined)
    expect(r.take('b')).to.not.equal(undefined)
  })
})

describe('ws listener: refusals of an unknown node id', function () {
  this.timeout(30_000)
  afterEach(closeAll)

  /** Dials `s` as `from` `n` times; every connection must be refused as before (4001). */
  async function dialAs(s: Node, from: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const raw = await RawPeer.open(s.t.port)
      const refused = await raw.handshake(from, 's').then(
        () => false,
        () => true,
      )
      expect(refused).to.equal(true)
      expect(await raw.closed).to.deep.equal({
        code: CloseCode.UnknownNode,
        reason: `unknown node id "${from}"`,
      })
    }
  }

  it('30 refusals of one id log one warning; the next after a minute sums up the rest', async () => {
    const clock = new SimulatedClock()
    const s = await node('s', { a: `${HOST}:1` }, { clock })
    const warnings = (id: string) => logged(s.log, 'warn', `unknown node id \\"${id}\\"`)
    await dialAs(s, 'z', 30)
    expect(warnings('z')).to.have.length(1)
    expect(warnings('z')[0]?.msg).to.equal('closing inbound connection')
    expect(logged(s.log, 'debug', 'unknown node id')).to.have.length(29)

    await dialAs(s, 'y', 1) // another id: its own first line
    expect(warnings('y')).to.have.length(1)

    await clock.advance(60_000)
    await dialAs(s, 'z', 2)
    const z = warnings('z')
    expect(z).to.have.length(2)
    expect(z[1]?.msg).to.equal(
      'closing inbound connection (29 more like it in the last 60 s, logged at debug)',
    )
    expect(z[1]?.fields).to.include({ repeats: 29, code: CloseCode.UnknownNode })
  })
})

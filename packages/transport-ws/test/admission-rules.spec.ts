/**
 * The rules of Admission (admission.ts), on sockets stood in for by event emitters and a
 * simulated clock: the caps on unauthenticated connections (per address, in total, one entry
 * per address and port), the deadline from accept and the grace after a close frame, what
 * releases a slot (close, authentication), the rate of refusal logs and of pre-auth rejection
 * logs. The same rules over real sockets: pre-auth.spec.ts.
 */
import { expect } from 'chai'
import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import { MemoryLogger, SimulatedClock } from '@raftkit/raft-core'
import { Admission, connectionKey } from '../src/admission.js'
import {
  MAX_UNAUTHENTICATED_CONNECTIONS,
  MAX_UNAUTHENTICATED_PER_ADDRESS,
  PRE_AUTH_CLOSE_GRACE_MS,
  PRE_AUTH_TIMEOUT_MS,
} from '../src/constants.js'

/** The part of a Socket that Admission uses: its remote end, destroy() and 'close'. */
class FakeSocket extends EventEmitter {
  destroyed = false
  constructor(
    readonly remoteAddress: string | undefined,
    readonly remotePort: number | undefined,
  ) {
    super()
  }
  /** As a net.Socket: 'close' comes on the next tick. */
  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    process.nextTick(() => this.emit('close'))
  }
}

const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve))
/** The per-address counts (private): they must not outlive an address's connections. */
const addresses = (a: Admission): number =>
  (a as unknown as { perAddress: Map<string, number> }).perAddress.size

let nextPort = 40_000
const socket = (address: string | undefined = '10.0.0.1', port = nextPort++): FakeSocket =>
  new FakeSocket(address, port)
const asSocket = (s: FakeSocket): Socket => s as unknown as Socket

function setup(): { clock: SimulatedClock; log: MemoryLogger; a: Admission } {
  const clock = new SimulatedClock()
  const log = new MemoryLogger()
  return { clock, log, a: new Admission(clock, log) }
}

/** Admits `n` new sockets from `address`. */
function admitMany(a: Admission, n: number, address = '10.0.0.1'): FakeSocket[] {
  const out: FakeSocket[] = []
  for (let i = 0; i < n; i++) {
    const s = socket(address)
    a.admit(asSocket(s))
    out.push(s)
  }
  return out
}

const refusals = (log: MemoryLogger) =>
  log.records.filter((r) => r.msg.includes('too many unauthenticated connections'))

describe('Admission: what an unauthenticated party can make a listener hold', function () {
  it('connectionKey is the remote address and port, "?" for either one missing', () => {
    expect(connectionKey({ remoteAddress: '10.0.0.1', remotePort: 5 })).to.equal('10.0.0.1|5')
    expect(connectionKey({})).to.equal('?|?')
  })

  it(`holds ${MAX_UNAUTHENTICATED_PER_ADDRESS} connections per address; the next is destroyed on accept and counted`, async () => {
    const { a, log } = setup()
    const held = admitMany(a, MAX_UNAUTHENTICATED_PER_ADDRESS)
    expect(a.count).to.equal(MAX_UNAUTHENTICATED_PER_ADDRESS)
    const extra = socket()
    a.admit(asSocket(extra))
    expect(extra.destroyed).to.equal(true)
    expect(a.find(extra)).to.equal(undefined)
    expect(a.count).to.equal(MAX_UNAUTHENTICATED_PER_ADDRESS)
    expect(a.refused).to.equal(1)
    expect(held.filter((s) => s.destroyed)).to.have.length(0)
    expect(refusals(log).map((r) => r.fields)).to.deep.equal([
      {
        refused: 1,
        lastAddress: '10.0.0.1',
        unauthenticated: MAX_UNAUTHENTICATED_PER_ADDRESS,
        fromThatAddress: MAX_UNAUTHENTICATED_PER_ADDRESS,
        maxTotal: MAX_UNAUTHENTICATED_CONNECTIONS,
        maxPerAddress: MAX_UNAUTHENTICATED_PER_ADDRESS,
      },
    ])
    // Another address still gets in; a closed one frees its address's slot.
    const other = socket('10.0.0.2')
    a.admit(asSocket(other))
    expect(other.destroyed).to.equal(false)
    ;(held[0] as FakeSocket).destroy()
    await nextTick()
    const again = socket()
    a.admit(asSocket(again))
    expect(again.destroyed).to.equal(false)
    expect(a.count).to.equal(MAX_UNAUTHENTICATED_PER_ADDRESS + 1)
  })

  it('counts sockets that no longer know their remote address under "?"', () => {
    const { a, log } = setup()
    for (let i = 0; i <= MAX_UNAUTHENTICATED_PER_ADDRESS; i++)
      a.admit(asSocket(new FakeSocket(undefined, nextPort++)))
    expect(a.count).to.equal(MAX_UNAUTHENTICATED_PER_ADDRESS)
    expect(refusals(log).map((r) => r.fields?.['lastAddress'])).to.deep.equal(['?'])
  })

  it(`holds ${MAX_UNAUTHENTICATED_CONNECTIONS} connections in total, from any addresses`, () => {
    const { a } = setup()
    const per = MAX_UNAUTHENTICATED_PER_ADDRESS
    for (let i = 0; i < MAX_UNAUTHENTICATED_CONNECTIONS / per; i++) admitMany(a, per, `10.0.1.${i}`)
    expect(a.count).to.equal(MAX_UNAUTHENTICATED_CONNECTIONS)
    const extra = socket('10.0.2.1')
    a.admit(asSocket(extra))
    expect(extra.destroyed).to.equal(true)
    expect(a.refused).to.equal(1)
    expect(a.count).to.equal(MAX_UNAUTHENTICATED_CONNECTIONS)
  })

  it('refuses a second connection with the same address and port, keeping the first', () => {
    const { a } = setup()
    const first = socket('10.0.0.1', 7)
    const second = socket('10.0.0.1', 7)
    a.admit(asSocket(first))
    a.admit(asSocket(second))
    expect([first.destroyed, second.destroyed]).to.deep.equal([false, true])
    expect(a.find({ remoteAddress: '10.0.0.1', remotePort: 7 })?.socket).to.equal(first)
    expect(a.count).to.equal(1)
    // The refused one's close does not release the first one's slot.
    expect(a.refused).to.equal(1)
  })

  it('logs refusals at most once per 10 s, with how many there were since the last line', async () => {
    const { a, log, clock } = setup()
    admitMany(a, MAX_UNAUTHENTICATED_PER_ADDRESS)
    for (let i = 0; i < 5; i++) a.admit(asSocket(socket()))
    expect(refusals(log)).to.have.length(1)
    await clock.advance(9_999) // every held connection expired: fill the address again
    admitMany(a, MAX_UNAUTHENTICATED_PER_ADDRESS)
    a.admit(asSocket(socket()))
    expect(refusals(log)).to.have.length(1)
    await clock.advance(1)
    a.admit(asSocket(socket()))
    expect(refusals(log).map((r) => r.fields?.['refused'])).to.deep.equal([1, 6])
    expect(a.refused).to.equal(7)
  })

  it(`destroys a connection ${PRE_AUTH_TIMEOUT_MS} ms after accept, not before, and frees its slot`, async () => {
    const { a, clock } = setup()
    const [s] = admitMany(a, 1) as [FakeSocket]
    await clock.advance(PRE_AUTH_TIMEOUT_MS - 1)
    expect(s.destroyed).to.equal(false)
    await clock.advance(1)
    expect(s.destroyed).to.equal(true)
    expect(a.count).to.equal(0)
    expect(clock.pending()).to.equal(0)
  })

  it('at the deadline, a connection whose handler sent a close frame gets a grace, then is destroyed', async () => {
    const { a, clock } = setup()
    const [closes, refuses] = admitMany(a, 2) as [FakeSocket, FakeSocket]
    let called = 0
    ;(a.find(closes) as NonNullable<ReturnType<Admission['find']>>).onDeadline = () => {
      called++
      return true
    }
    ;(a.find(refuses) as NonNullable<ReturnType<Admission['find']>>).onDeadline = () => false
    await clock.advance(PRE_AUTH_TIMEOUT_MS)
    expect(called).to.equal(1)
    expect([closes.destroyed, refuses.destroyed]).to.deep.equal([false, true])
    expect(a.count, 'still held during the grace').to.equal(1)
    expect(a.find(closes)?.onDeadline).to.equal(null)
    await clock.advance(PRE_AUTH_CLOSE_GRACE_MS - 1)
    expect(closes.destroyed).to.equal(false)
    await clock.advance(1)
    expect(closes.destroyed).to.equal(true)
    expect(a.count).to.equal(0)
    expect(called).to.equal(1)
  })

  it('closing() replaces the deadline by the grace; it does nothing for a released connection', async () => {
    const { a, clock } = setup()
    const [s, done] = admitMany(a, 2) as [FakeSocket, FakeSocket]
    const p = a.find(s) as NonNullable<ReturnType<Admission['find']>>
    p.onDeadline = () => true
    await clock.advance(100)
    a.closing(p)
    expect(p.onDeadline).to.equal(null)
    await clock.advance(PRE_AUTH_CLOSE_GRACE_MS)
    expect(s.destroyed).to.equal(true)
    const q = a.find(done) as NonNullable<ReturnType<Admission['find']>>
    a.authenticated(q)
    a.closing(q)
    expect(q.timer).to.equal(undefined)
    await clock.advance(10 * PRE_AUTH_TIMEOUT_MS)
    expect(done.destroyed).to.equal(false)
    // Refused just before its deadline: the grace still runs in full.
    const [late] = admitMany(a, 1) as [FakeSocket]
    const l = a.find(late) as NonNullable<ReturnType<Admission['find']>>
    await clock.advance(PRE_AUTH_TIMEOUT_MS - 100)
    a.closing(l)
    await clock.advance(PRE_AUTH_CLOSE_GRACE_MS - 1)
    expect(late.destroyed, 'not at the old deadline').to.equal(false)
    await clock.advance(1)
    expect(late.destroyed).to.equal(true)
  })

  it('an authenticated connection leaves the caps and its deadline; its close changes nothing more', async () => {
    const { a, clock } = setup()
    const held = admitMany(a, MAX_UNAUTHENTICATED_PER_ADDRESS)
    const first = held[0] as FakeSocket
    const p = a.find(first) as NonNullable<ReturnType<Admission['find']>>
    p.onDeadline = () => true
    a.authenticated(p)
    expect(a.count).to.equal(MAX_UNAUTHENTICATED_PER_ADDRESS - 1)
    expect(a.find(first)).to.equal(undefined)
    expect(p.onDeadline).to.equal(null)
    const next = socket()
    a.admit(asSocket(next))
    expect(next.destroyed, 'the slot of its address was freed').to.equal(false)
    first.destroy()
    await nextTick()
    expect(a.count).to.equal(MAX_UNAUTHENTICATED_PER_ADDRESS)
    const over = socket()
    a.admit(asSocket(over))
    expect(over.destroyed, 'its close did not free a second slot').to.equal(true)
    await clock.advance(PRE_AUTH_TIMEOUT_MS + PRE_AUTH_CLOSE_GRACE_MS)
    expect(a.count).to.equal(0)
    expect(clock.pending()).to.equal(0)
  })

  it('a connection that closes frees its slot and its timer', async () => {
    const { a, clock } = setup()
    const [s] = admitMany(a, 1) as [FakeSocket]
    s.destroy()
    await nextTick()
    expect(a.count).to.equal(0)
    expect(clock.pending()).to.equal(0)
    admitMany(a, MAX_UNAUTHENTICATED_PER_ADDRESS)
    expect(a.count).to.equal(MAX_UNAUTHENTICATED_PER_ADDRESS)
    expect(a.refused).to.equal(0)
  })

  it('closeAll() destroys every held connection and clears every timer at once', () => {
    const { a, clock } = setup()
    const held = [...admitMany(a, 3), ...admitMany(a, 2, '10.0.0.9')]
    a.closeAll()
    expect(held.every((s) => s.destroyed)).to.equal(true)
    expect(a.count).to.equal(0)
    expect(clock.pending()).to.equal(0)
    expect(addresses(a)).to.equal(0)
    admitMany(a, MAX_UNAUTHENTICATED_PER_ADDRESS)
    expect(a.refused, 'per-address counts were released').to.equal(0)
  })

  it('keeps no count for an address once its last connection has left', async () => {
    const { a, clock } = setup()
    for (let i = 0; i < 50; i++) admitMany(a, 1, `10.0.3.${i}`)
    const [authed] = admitMany(a, 1, '10.0.4.1') as [FakeSocket]
    const [closed] = admitMany(a, 2, '10.0.4.2') as [FakeSocket]
    expect(addresses(a)).to.equal(52)
    a.authenticated(a.find(authed) as NonNullable<ReturnType<Admission['find']>>)
    closed.destroy()
    await nextTick()
    expect(addresses(a)).to.equal(51)
    await clock.advance(PRE_AUTH_TIMEOUT_MS)
    expect(addresses(a)).to.equal(0)
  })

  it('mayLog() allows 20 lines per 10 s window', async () => {
    const { a, clock } = setup()
    const window = (): boolean[] => Array.from({ length: 25 }, () => a.mayLog())
    const allowed = (xs: boolean[]) => xs.filter(Boolean).length
    const first = window()
    expect(allowed(first)).to.equal(20)
    expect(first.slice(0, 20).every(Boolean)).to.equal(true)
    await clock.advance(9_999)
    expect(a.mayLog()).to.equal(false)
    await clock.advance(1)
    expect(allowed(window())).to.equal(20)
  })
})

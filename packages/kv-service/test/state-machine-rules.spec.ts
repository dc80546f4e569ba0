/**
 * KvStateMachine rules that its other tests left unpinned (found by mutation testing, see
 * TESTING.md): the configuration bound, what open answers, retries keeping a session alive,
 * put versus append under a value limit, and a seq below the last one.
 */
import { expect } from 'chai'
import { KvConfigError, KvStateMachine, encodeCommand } from '../src/index.js'

const open = (clientId: string): Uint8Array => encodeCommand({ op: 'open', clientId })
const write = (
  op: 'put' | 'append',
  clientId: string,
  seq: number,
  key: string,
  value: string,
  maxValueBytes?: number,
): Uint8Array =>
  encodeCommand({
    op,
    key,
    value,
    clientId,
    seq,
    ...(maxValueBytes === undefined ? {} : { maxValueBytes }),
  })

describe('KvStateMachine rules', () => {
  it('sessionExpiryEntries must be a positive integer: 1 is allowed, 0 is refused naming the field', () => {
    expect(new KvStateMachine({ sessionExpiryEntries: 1 }).sessionExpiryEntries).to.equal(1)
    let err: unknown
    try {
      new KvStateMachine({ sessionExpiryEntries: 0 })
    } catch (e) {
      err = e
    }
    expect(err).to.be.instanceOf(KvConfigError)
    expect((err as Error).message)
      .to.include('sessionExpiryEntries')
      .and.include('got 0')
  })

  it('open answers ok with an empty value, and says whether the session existed already', () => {
    const sm = new KvStateMachine()
    expect(sm.apply(open('c'), 1)).to.deep.equal({ status: 'ok', value: '', duplicate: false })
    expect(sm.apply(open('c'), 2)).to.deep.equal({ status: 'ok', value: '', duplicate: true })
    expect(sm.sessionCount).to.equal(1)
    expect(sm.keyCount).to.equal(0)
  })

  it('a first write answers duplicate: false; its retry answers the same result with duplicate: true', () => {
    const sm = new KvStateMachine()
    sm.apply(open('c'), 1)
    expect(sm.apply(write('put', 'c', 1, 'k', 'v'), 2)).to.deep.equal({
      status: 'ok',
      value: '',
      duplicate: false,
    })
    expect(sm.apply(write('put', 'c', 1, 'k', 'v'), 3)).to.deep.equal({
      status: 'ok',
      value: '',
      duplicate: true,
    })
    expect(sm.get('k')).to.equal('v')
  })

  it('a retried write keeps its session alive like any other use of it', () => {
    const sm = new KvStateMachine({ sessionExpiryEntries: 3 })
    sm.apply(open('c'), 1)
    sm.apply(write('append', 'c', 1, 'k', 'x'), 2)
    for (let index = 4; index <= 8; index += 2) {
      sm.apply(write('append', 'c', 1, 'k', 'x'), index) // the retry, every other entry
      sm.apply(write('put', 'other', 1, 'o', '-'), index + 1) // (no session: refused)
    }
    expect(sm.apply(write('append', 'c', 2, 'k', 'y'), 10)).to.include({ status: 'ok' })
    expect(sm.get('k')).to.equal('xy')
  })

  it('under a value limit, put counts only its own value and append counts the value it extends', () => {
    const sm = new KvStateMachine()
    sm.apply(open('c'), 1)
    sm.apply(write('put', 'c', 1, 'k', 'aaaa'), 2)
    expect(sm.apply(write('put', 'c', 2, 'k', 'bb', 3), 3)).to.include({ status: 'ok' })
    expect(sm.get('k')).to.equal('bb')
    expect(sm.apply(write('append', 'c', 3, 'k', 'bb', 3), 4)).to.include({
      status: 'too-large',
      limit: 3,
      bytes: 4,
    })
    expect(sm.get('k')).to.equal('bb')
  })

  it('a seq below the session’s last one is a conflict, even with the same request as then', () => {
    const sm = new KvStateMachine()
    sm.apply(open('c'), 1)
    sm.apply(write('put', 'c', 1, 'k', 'a'), 2)
    sm.apply(write('put', 'c', 2, 'k', 'b'), 3)
    expect(sm.apply(write('put', 'c', 1, 'k', 'a'), 4)).to.deep.equal({
      status: 'conflict',
      clientId: 'c',
      seq: 1,
      lastSeq: 2,
    })
    expect(sm.get('k')).to.equal('b')
  })

  it('a seq below the session’s last one is a conflict even when its request equals the last one', () => {
    const sm = new KvStateMachine()
    sm.apply(open('c'), 1)
    sm.apply(write('append', 'c', 1, 'k', 'a'), 2)
    sm.apply(write('append', 'c', 2, 'k', 'a'), 3)
    expect(sm.apply(write('append', 'c', 1, 'k', 'a'), 4)).to.deep.equal({
      status: 'conflict',
      clientId: 'c',
      seq: 1,
      lastSeq: 2,
    })
    expect(sm.get('k')).to.equal('aa')
  })

  it('an address command answers ok with an empty value, never as a duplicate', () => {
    const sm = new KvStateMachine()
    const addr = encodeCommand({ op: 'addr', id: 'n4', peer: 'h:1', http: 'h:2' })
    for (const index of [1, 2])
      expect(sm.apply(addr, index)).to.deep.equal({ status: 'ok', value: '', duplicate: false })
  })
})

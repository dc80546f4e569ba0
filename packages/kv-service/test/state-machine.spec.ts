import { createHash } from 'node:crypto'
import { expect } from 'chai'
import { createRng, packValue } from '@raftkit/raft-core'
import {
  KvConfigError,
  KvStateMachine,
  MalformedCommandError,
  MalformedSnapshotError,
  decodeCommand,
  encodeCommand,
  requestDigest,
} from '../src/index.js'
import { ownString } from '../src/state-machine.js'

const open = (clientId: string): Uint8Array => encodeCommand({ op: 'open', clientId })
const put = (clientId: string, seq: number, key: string, value: string): Uint8Array =>
  encodeCommand({ op: 'put', key, value, clientId, seq })
const append = (clientId: string, seq: number, key: string, value: string): Uint8Array =>
  encodeCommand({ op: 'append', key, value, clientId, seq })

/** Applies commands at consecutive indexes from `from`; returns the next free index. */
function applyAll(sm: KvStateMachine, commands: Uint8Array[], from = 1): number {
  commands.forEach((c, i) => sm.apply(c, from + i))
  return from + commands.length
}

describe('ops encoding', () => {
  it('round-trips commands and drops extra fields', () => {
    const cmd = { op: 'append', key: 'k', value: 'v', clientId: 'c', seq: 3, extra: 1 } as const
    expect(decodeCommand(encodeCommand(cmd))).to.deep.equal({
      op: 'append',
      key: 'k',
      value: 'v',
      clientId: 'c',
      seq: 3,
    })
    expect(decodeCommand(open('c'))).to.deep.equal({ op: 'open', clientId: 'c' })
  })

  for (const [what, value] of [
    ['not msgpack', new Uint8Array([0xc1])],
    ['not an object', packValue(7)],
    ['an unknown op', packValue({ op: 'delete', key: 'k', clientId: 'c', seq: 1 })],
    ['a non-string value', packValue({ op: 'put', key: 'k', value: 5, clientId: 'c', seq: 1 })],
    ['seq 0', packValue({ op: 'put', key: 'k', value: 'v', clientId: 'c', seq: 0 })],
    ['a fractional seq', packValue({ op: 'put', key: 'k', value: 'v', clientId: 'c', seq: 1.5 })],
    ['an empty clientId', packValue({ op: 'open', clientId: '' })],
  ] as const) {
    it(`rejects ${what} with MalformedCommandError`, () => {
      expect(() => decodeCommand(value)).to.throw(MalformedCommandError)
    })
  }
})

describe('request digests (stored in session tables and snapshots: they never change)', () => {
  // The definition snapshots were written with: the first 128 bits of SHA-256 over the UTF-8
  // of op, a zero byte, the key, a zero byte and the value, fed in turn, in base64url.
  const reference = (op: string, key: string, value: string): string =>
    createHash('sha256')
      .update(op)
      .update('\0')
      .update(key)
      .update('\0')
      .update(value)
      .digest()
      .subarray(0, 16)
      .toString('base64url')

  it('is 128 bits of SHA-256 over op \\0 key \\0 value, whatever the strings hold', () => {
    const strings = [
      '',
      'k',
      'v'.repeat(128),
      'ключ',
      '😀',
      '\ud83d', // lone high surrogate
      '\ude00x', // lone low surrogate first
      'a\0b',
      '\ufeffbom',
    ]
    expect(requestDigest({ op: 'put', key: 'k', value: 'v' })).to.equal('CstHpaCBvBQ-hb-Dbo3FBA')
    for (const op of ['put', 'append'] as const)
      for (const key of strings)
        for (const value of strings)
          expect(requestDigest({ op, key, value }), JSON.stringify([op, key, value])).to.equal(
            reference(op, key, value),
          )
  })
})

describe('KvStateMachine', () => {
  it('puts, appends, and reads a missing key as ""', () => {
    const sm = new KvStateMachine()
    applyAll(sm, [
      open('a'),
      put('a', 1, 'x', 'he'),
      append('a', 2, 'x', 'llo'),
      append('a', 3, 'y', '!'),
    ])
    expect(sm.get('x')).to.equal('hello')
    expect(sm.get('y')).to.equal('!')
    expect(sm.get('missing')).to.equal('')
  })

  it('stores keys and values exactly, whatever their characters (own copies of decoded strings)', () => {
    const samples = [
      '',
      'plain',
      'caf\u00e9 \u00ff',
      '\u20ac uro',
      'emoji \u{1f600}',
      'z'.repeat(300),
    ]
    for (const s of [...samples, 'lone \ud800 x']) expect(ownString(s)).to.equal(s)
    const sm = new KvStateMachine()
    let i = applyAll(sm, [open('a')])
    samples.forEach((v, n) => sm.apply(put('a', n + 1, `k${v}`, v), i++))
    samples.forEach((v) => expect(sm.get(`k${v}`)).to.equal(v))
    sm.apply(append('a', samples.length + 1, 'kplain', '\u00e9\u{1f600}'), i++)
    expect(sm.get('kplain')).to.equal('plain\u00e9\u{1f600}')
    const copy = new KvStateMachine()
    copy.restore(sm.snapshot())
    samples.forEach((v) =>
      expect(copy.get(`k${v}`)).to.equal(v === 'plain' ? 'plain\u00e9\u{1f600}' : v),
    )
  })

  it('never executes a retried request twice (seq <= last)', () => {
    const sm = new KvStateMachine()
    let i = applyAll(sm, [open('a'), append('a', 1, 'x', 'A'), append('a', 2, 'x', 'B')])
    const retry = sm.apply(append('a', 2, 'x', 'B'), i++)
    const older = sm.apply(append('a', 1, 'x', 'A'), i++)
    expect(retry).to.deep.equal({ status: 'ok', value: '', duplicate: true })
    // An older seq has no waiting client when it is a real retry; it is refused, never run.
    expect(older).to.deep.include({ status: 'conflict', seq: 1, lastSeq: 2 })
    expect(sm.get('x')).to.equal('AB')
    expect(sm.session('a')?.seq).to.equal(2)
  })

  it('a different request under the last seq is a conflict: not executed, session unchanged', () => {
    const sm = new KvStateMachine()
    let i = applyAll(sm, [open('a'), append('a', 1, 'x', 'A')])
    const session = sm.session('a')
    for (const other of [
      append('a', 1, 'x', 'B'), // another value
      append('a', 1, 'y', 'A'), // another key
      put('a', 1, 'x', 'A'), // another op
    ])
      expect(sm.apply(other, i++)).to.deep.equal({
        status: 'conflict',
        clientId: 'a',
        seq: 1,
        lastSeq: 1,
      })
    expect(sm.get('x')).to.equal('A')
    expect(sm.get('y')).to.equal('')
    expect(sm.session('a')).to.deep.equal(session)
    expect(sm.apply(append('a', 1, 'x', 'A'), i++)).to.deep.include({ duplicate: true })
  })

  it('a seq far ahead taken under another client id makes that client conflict, never a silent no-op', () => {
    const sm = new KvStateMachine()
    let i = applyAll(sm, [open('victim'), put('victim', 1, 'k', 'v1')])
    sm.apply(put('victim', Number.MAX_SAFE_INTEGER, 'k', 'evil'), i++)
    expect(sm.apply(put('victim', 2, 'k', 'v2'), i++)).to.deep.include({ status: 'conflict' })
  })

  it('keeps sessions apart: the same seq from two clients runs twice', () => {
    const sm = new KvStateMachine()
    applyAll(sm, [open('a'), open('b'), append('a', 1, 'x', 'A'), append('b', 1, 'x', 'B')])
    expect(sm.get('x')).to.equal('AB')
  })

  it('refuses requests of a session that was never opened, changing nothing', () => {
    const sm = new KvStateMachine()
    const r = sm.apply(put('ghost', 1, 'x', 'v'), 1)
    expect(r).to.deep.equal({ status: 'session-expired', clientId: 'ghost' })
    expect(sm.get('x')).to.equal('')
    expect(sm.sessionCount).to.equal(0)
  })

  it('re-opening a live session does not reset its sequence number', () => {
    const sm = new KvStateMachine()
    applyAll(sm, [open('a'), append('a', 1, 'x', 'A'), open('a'), append('a', 1, 'x', 'A')])
    expect(sm.get('x')).to.equal('A')
    expect(sm.session('a')?.seq).to.equal(1)
  })

  it('skips a malformed entry with a typed error and no state change', () => {
    const sm = new KvStateMachine()
    applyAll(sm, [open('a'), put('a', 1, 'x', 'v')])
    const before = sm.snapshot()
    const r = sm.apply(new Uint8Array([1, 2, 3]), 3)
    expect(r.status).to.equal('malformed')
    expect(r.status === 'malformed' && r.error).to.be.instanceOf(MalformedCommandError)
    expect(sm.snapshot()).to.deep.equal(before)
  })

  describe('session expiry', () => {
    it('drops a session idle for more than the window, then refuses its retries', () => {
      const sm = new KvStateMachine({ sessionExpiryEntries: 3 })
      applyAll(sm, [open('idle'), open('busy'), put('idle', 1, 'k', 'v1')]) // idle last used at 3
      applyAll(sm, [append('busy', 1, 'b', '.'), append('busy', 2, 'b', '.')], 4) // indexes 4, 5
      expect(sm.session('idle')).to.not.equal(undefined) // 6 - 3 = 3: still inside the window
      sm.apply(append('busy', 3, 'b', '.'), 7) // 7 - 3 = 4 > 3: expired
      expect(sm.session('idle')).to.equal(undefined)
      expect(sm.session('busy')?.seq).to.equal(3)
      // A retry of the already-executed put must not run again.
      expect(sm.apply(put('idle', 1, 'k', 'v2'), 8).status).to.equal('session-expired')
      expect(sm.get('k')).to.equal('v1')
    })

    it('is deterministic: two replicas fed the same log hold the same table', () => {
      const log: Uint8Array[] = []
      for (let c = 0; c < 20; c++) log.push(open(`c${c}`))
      for (let i = 0; i < 200; i++)
        log.push(append(`c${(i * 7) % 20}`, Math.floor(i / 20) + 1, 'k', `${i};`))
      const a = new KvStateMachine({ sessionExpiryEntries: 30 })
      const b = new KvStateMachine({ sessionExpiryEntries: 30 })
      applyAll(a, log)
      applyAll(b, log)
      expect(a.snapshot()).to.deep.equal(b.snapshot())
      expect(a.sessionCount).to.be.lessThan(20) // some sessions expired
    })

    it('drops exactly the sessions idle for more than the window at each apply (random log, gaps, restores)', () => {
      for (const seed of [1, 2, 3]) {
        const rng = createRng(seed)
        const window = 1 + rng.int(12)
        let sm = new KvStateMachine({ sessionExpiryEntries: window })
        /** The rule itself: each session's last index and seq; expiry checked at every apply. */
        let model = new Map<string, { last: number; seq: number }>()
        let saved: { snapshot: Uint8Array; model: typeof model } | undefined
        let index = 0
        for (let step = 0; step < 3_000; step++) {
          index += 1 + (rng.int(4) === 0 ? rng.int(3 * window) : 0) // gaps: entries not applied here
          for (const [c, s] of model) if (index - s.last > window) model.delete(c)
          const c = `c${rng.int(8)}`
          const known = model.get(c)
          if (known === undefined || rng.int(10) === 0) {
            sm.apply(open(c), index)
            model.set(c, { last: index, seq: known?.seq ?? 0 })
          } else {
            const retry = known.seq > 0 && rng.int(4) === 0 // the same request again: touches it
            const seq = retry ? known.seq : known.seq + 1
            expect(sm.apply(append(c, seq, 'k', `${seq}`), index).status).to.equal('ok')
            model.set(c, { last: index, seq })
          }
          if (rng.int(200) === 0) {
            const restored = new KvStateMachine({ sessionExpiryEntries: window })
            restored.restore(sm.snapshot())
            sm = restored
          }
          if (rng.int(100) === 0) saved = { snapshot: sm.snapshot(), model: new Map(model) }
          else if (saved && rng.int(150) === 0) {
            // An older state restored over this one (its sessions were last used earlier).
            sm.restore(saved.snapshot)
            model = new Map(saved.model)
          }
          expect(sm.sessionCount, `seed ${seed} index ${index}`).to.equal(model.size)
          for (const [id, s] of model)
            expect(sm.session(id)?.lastIndex, `${id} at ${index}`).to.equal(s.last)
        }
      }
    })

    it('keeps the table bounded by the window', () => {
      const sm = new KvStateMachine({ sessionExpiryEntries: 10 })
      for (let i = 1; i <= 500; i++) sm.apply(open(`client-${i}`), i)
      expect(sm.sessionCount).to.equal(11)
    })

    it('rejects a bad window with KvConfigError', () => {
      expect(() => new KvStateMachine({ sessionExpiryEntries: 0 })).to.throw(KvConfigError)
    })
  })

  describe('bounded values (the maxValueBytes a command carries)', () => {
    const limited = (
      op: 'put' | 'append',
      seq: number,
      value: string,
      max = 8,
      key = 'k',
    ): Uint8Array => encodeCommand({ op, key, value, clientId: 'a', seq, maxValueBytes: max })

    it('refuses an append whose result would exceed the limit; the value and later writes are unaffected', () => {
      const sm = new KvStateMachine()
      let i = applyAll(sm, [open('a'), limited('append', 1, 'abcde'), limited('append', 2, 'fgh')])
      expect(sm.get('k')).to.equal('abcdefgh') // exactly 8 bytes: allowed
      expect(sm.apply(limited('append', 3, 'i'), i++)).to.deep.equal({
        status: 'too-large',
        key: 'k',
        limit: 8,
        bytes: 9,
      })
      expect(sm.get('k')).to.equal('abcdefgh')
      // Once a later seq ran, the refused one is a conflict: it never runs, even now that it fits.
      sm.apply(limited('put', 4, 'x'), i++)
      expect(sm.apply(limited('append', 3, 'i'), i++)).to.deep.include({ status: 'conflict' })
      expect(sm.get('k')).to.equal('x')
      expect(sm.apply(limited('append', 5, '€€'), i++).status).to.equal('ok') // 7 bytes
      expect(sm.apply(limited('append', 6, '€'), i++).status).to.equal('too-large') // 10 bytes
      expect(sm.apply(limited('append', 6, '€'), i++).status).to.equal('too-large') // its retry
      expect(sm.get('k')).to.equal('x€€')
    })

    it('refuses a put larger than the limit, counting UTF-8 bytes; no limit when the command carries none', () => {
      const sm = new KvStateMachine()
      let i = applyAll(sm, [open('a')])
      expect(sm.apply(limited('put', 1, 'ééééé'), i++).status).to.equal('too-large') // 10 bytes
      expect(sm.get('k')).to.equal('')
      expect(sm.apply(put('a', 2, 'k', 'x'.repeat(100)), i++).status).to.equal('ok')
    })

    it('is decided by the log alone: replicas agree, and a snapshot keeps the refusal for retries', () => {
      const log = [open('a'), limited('append', 1, 'abcdefg'), limited('append', 2, 'hi')]
      const a = new KvStateMachine()
      const b = new KvStateMachine()
      applyAll(a, log)
      applyAll(b, log)
      expect(a.snapshot()).to.deep.equal(b.snapshot())
      const c = new KvStateMachine()
      c.restore(a.snapshot())
      expect(c.apply(limited('append', 2, 'hi'), 4)).to.deep.include({ status: 'too-large' })
      expect(c.get('k')).to.equal('abcdefg')
    })
  })

  describe('snapshots', () => {
    it('round-trips the map and the session table, so retries stay deduplicated', () => {
      const sm = new KvStateMachine()
      const i = applyAll(sm, [
        open('a'),
        open('b'),
        put('a', 1, 'x', '1'),
        append('b', 1, 'x', '2'),
      ])
      const copy = new KvStateMachine()
      copy.restore(sm.snapshot())
      expect(copy.get('x')).to.equal('12')
      const fields = (id: string, m: KvStateMachine): unknown => {
        const s = m.session(id)
        return s && [s.seq, s.result, s.lastIndex, s.digest, s.refusedLimit]
      }
      expect(fields('a', copy)).to.deep.equal(fields('a', sm))
      expect(copy.apply(append('b', 1, 'x', '2'), i).status).to.equal('ok')
      expect(copy.get('x')).to.equal('12') // the retry was not executed
      // The request digests are restored too: a different request is still a conflict.
      expect(copy.apply(append('b', 1, 'x', '3'), i + 1).status).to.equal('conflict')
    })

    it('reads version-1 snapshots (no digests): a same-seq request then counts as a retry', () => {
      const v1 = packValue({
        format: 'raftkit-kv/1',
        data: ['x', '12'],
        sessions: ['a', 1, '', 3, 'b', 1, '', 4],
      })
      const sm = new KvStateMachine()
      sm.restore(v1)
      expect(sm.get('x')).to.equal('12')
      expect(sm.session('b')).to.deep.equal({
        seq: 1,
        result: '',
        lastIndex: 4,
        digest: '',
        refusedLimit: 0,
      })
      expect(sm.apply(append('b', 1, 'x', 'anything'), 5)).to.deep.include({ duplicate: true })
      expect(sm.get('x')).to.equal('12')
      expect(sm.apply(append('b', 2, 'x', '3'), 6).status).to.equal('ok')
      expect(sm.get('x')).to.equal('123')
    })

    it('expires sessions after a restore exactly as the original does', () => {
      const original = new KvStateMachine({ sessionExpiryEntries: 5 })
      let i = applyAll(original, [open('a'), open('b'), open('c'), append('a', 1, 'k', 'x')])
      const restored = new KvStateMachine({ sessionExpiryEntries: 5 })
      restored.restore(original.snapshot())
      for (const sm of [original, restored]) {
        let j = i
        for (let n = 0; n < 4; n++) sm.apply(append('a', n + 2, 'k', 'x'), j++)
      }
      i += 4
      expect(restored.snapshot()).to.deep.equal(original.snapshot())
      expect(restored.session('b')).to.equal(undefined)
      expect(restored.session('a')?.seq).to.equal(5)
    })

    it('rejects a malformed snapshot with a typed error and keeps its state', () => {
      const sm = new KvStateMachine()
      applyAll(sm, [open('a'), put('a', 1, 'x', 'v')])
      const before = sm.snapshot()
      for (const bad of [
        new Uint8Array([0xc1]),
        packValue({ format: 'other' }),
        packValue({ format: 'raftkit-kv/1', data: ['k'], sessions: [] }),
        packValue({ format: 'raftkit-kv/1', data: [], sessions: ['a', -1, '', 1] }),
        packValue({ format: 'raftkit-kv/1', data: [], sessions: ['a', 1, '', 9, 'b', 1, '', 2] }),
        packValue({ format: 'raftkit-kv/2', data: [], sessions: ['a', 1, '', 9] }),
        packValue({ format: 'raftkit-kv/2', data: [], sessions: ['a', 1, '', 9, 7, 0] }),
      ])
        expect(() => sm.restore(bad)).to.throw(MalformedSnapshotError)
      expect(sm.snapshot()).to.deep.equal(before)
    })
  })
})

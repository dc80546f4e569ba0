/**
 * toApplyMsgs: what the service receives for each kind of log entry — a command with its bytes
 * (the log's own view), a noop for both noop and configuration entries — in the entries' order.
 */
import { expect } from 'chai'
import type { Entry } from '../src/index.js'
import { encodeMembership, toApplyMsgs } from '../src/index.js'

describe('toApplyMsgs', () => {
  it('passes commands with their bytes and turns noop and config entries into noops, in order', () => {
    const data = new Uint8Array([1, 2, 3])
    const config = encodeMembership({ voters: ['a', 'b'], learners: [], outgoing: [] })
    const entries: Entry[] = [
      { index: 4, term: 2, kind: 'noop', data: new Uint8Array(0) },
      { index: 5, term: 2, kind: 'command', data },
      { index: 6, term: 3, kind: 'config', data: config },
    ]
    const msgs = toApplyMsgs(entries)
    expect(msgs).to.deep.equal([
      { kind: 'noop', index: 4, term: 2 },
      { kind: 'command', index: 5, term: 2, command: data },
      { kind: 'noop', index: 6, term: 3 },
    ])
    expect((msgs[1] as { command: Uint8Array }).command).to.equal(data)
  })
})

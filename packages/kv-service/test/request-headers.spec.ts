import { expect } from 'chai'
import { createRng } from '@raftkit/raft-core'
import { isClientId } from '../src/http/kv-checks.js'
import { isHeader, isSeq } from '../src/http/request.js'

/** Random strings near the edges the checks care about: lengths, character ranges, case. */
function randomStrings(n: number, seed: number): string[] {
  const rng = createRng(seed)
  const alphabet = [
    ...'0123456789-_aAzZkK',
    ...'raftkit-client-id RAFTKIT-REQUEST-SEQ Content-Length',
    '\x00',
    '\x1f',
    ' ',
    '!',
    '~',
    '\x7f',
    '\x80',
    '\xff',
    '/',
    ':',
    '@',
    '[',
    '`',
    '{',
    'İ',
    'K',
    'ß',
    'ǅ',
    '\u{1F600}',
    '\ud800',
  ]
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const len = [0, 1, 2, 14, 15, 16, 17, 19, 127, 128, 129][rng.int(11)] as number
    let s = ''
    for (let j = 0; j < len; j++) s += alphabet[rng.int(alphabet.length)]
    out.push(s.slice(0, len))
  }
  return out
}

describe('HTTP request headers: the in-place checks decide as toLowerCase and the regular expressions did', () => {
  const strings = randomStrings(20_000, 15)

  it('isHeader(name, lower) is name.toLowerCase() === lower for header names (ASCII tokens)', () => {
    const names = ['raftkit-client-id', 'raftkit-request-seq', 'content-length']
    const tokens = strings.filter((s) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]*$/.test(s))
    const variants = names.flatMap((n) => [n, n.toUpperCase(), n.replace(/-/g, '_'), n.slice(1)])
    for (const lower of names)
      for (const name of [...tokens, ...variants, 'Raftkit-Client-Id', 'raftkit-client-iD'])
        expect(isHeader(name, lower), `${JSON.stringify(name)} vs ${lower}`).to.equal(
          name.toLowerCase() === lower,
        )
  })

  it('isClientId is /^[\\x21-\\x7e]{1,128}$/ and isSeq is /^[1-9]\\d{0,15}$/', () => {
    const digits = randomStrings(5_000, 16).map((s) => s.replace(/[^0-9]/g, ''))
    for (const s of [...strings, ...digits, '1', '0', '01', '9'.repeat(16), '9'.repeat(17)]) {
      expect(isClientId(s), JSON.stringify(s)).to.equal(/^[\x21-\x7e]{1,128}$/.test(s))
      expect(isSeq(s), JSON.stringify(s)).to.equal(/^[1-9]\d{0,15}$/.test(s))
    }
  })
})

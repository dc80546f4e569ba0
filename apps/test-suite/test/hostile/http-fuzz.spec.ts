/**
 * Hostile input, HTTP request parsing: fast-check requests — arbitrary methods, targets (known
 * paths, percent-escapes, absolute form, garbage), versions, headers (the API's own with
 * arbitrary values, Content-Length lies, chunked framing, CR/LF injection) and bodies, plus
 * plain arbitrary bytes — sent over raw sockets to the leader and a follower of a real
 * 3-process cluster. Every answer is a status below 500 or a 503/504 (never 500, never a crash),
 * or the connection closes; every node stays up and answers its status; each node's RSS grows
 * by less than HTTP_FUZZ_RSS_BOUND.
 *
 * The seed is pinned (FUZZ_SEED overrides it, FUZZ_RUNS the number of requests) and printed.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { useTestCluster } from '../multiprocess/helpers.js'
import {
  MiB,
  clusterRss,
  httpBase,
  nodeSpec,
  rawExchange,
  request,
  rssGrowth,
  waitForAllNodes,
} from './helpers.js'

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261204)
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 300)
/** RSS growth allowed per node over the whole fuzz run. */
const HTTP_FUZZ_RSS_BOUND = 64 * MiB

const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/)
const text = fc.string({ unit: 'binary', maxLength: 40 })
const method = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'OPTIONS') },
  { weight: 1, arbitrary: token },
  { weight: 1, arbitrary: text },
)
const key = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9]{1,8}$/) },
  { weight: 2, arbitrary: text.map(encodeURIComponent) },
  { weight: 1, arbitrary: text },
  { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%c3%28', '%ef%bb%bf', '', '..%2f..') },
)
const target = fc.oneof(
  { weight: 4, arbitrary: key.map((k) => `/v1/kv/${k}`) },
  { weight: 2, arbitrary: key.map((k) => `/v1/kv/${k}/append`) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('/v1/sessions', '/v1/status', '/metrics', '/v1/admin/faults', '*'),
  },
  { weight: 1, arbitrary: key.map((k) => `http://127.0.0.1/v1/kv/${k}`) },
  { weight: 1, arbitrary: fc.tuple(key, text).map(([k, q]) => `/v1/kv/${k}?${q}`) },
  { weight: 1, arbitrary: text },
)
const version = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('HTTP/1.1', 'HTTP/1.0') },
  { weight: 1, arbitrary: fc.constantFrom('HTTP/2.0', 'HTTP/0.9', 'HTTP/1.1x', '') },
  { weight: 1, arbitrary: text },
)
const headerValue = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[\x20-\x7e]{0,30}$/) },
  { weight: 2, arbitrary: fc.integer({ min: -5, max: 3 * 1024 * 1024 }).map(String) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'chunked',
      'gzip, chunked',
      '9007199254740991',
      '1e3',
      '0x10',
      '1,2',
    ),
  },
  { weight: 1, arbitrary: text },
)
const header = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.tuple(
      fc.constantFrom(
        'Raftkit-Client-Id',
        'Raftkit-Request-Seq',
        'Raftkit-Secret',
        'Content-Type',
        'Connection',
        'Accept',
      ),
      headerValue,
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constantFrom('Content-Length', 'Transfer-Encoding', 'Expect', 'Host'),
      headerValue,
    ),
  },
  { weight: 2, arbitrary: fc.tuple(token, headerValue) },
  { weight: 1, arbitrary: fc.tuple(text, text) },
)
const body = fc.oneof(
  fc.constant(new Uint8Array(0)),
  fc.uint8Array({ maxLength: 2048 }),
  fc.constant(Buffer.from('5\r\nhello\r\n0\r\n\r\n')),
  fc.constant(Buffer.from('ffffffff\r\nx')),
)
const structured = fc
  .record({
    method,
    target,
    version,
    headers: fc.array(header, { maxLength: 4 }),
    body,
    // Mostly a well-framed request (Host and a true Content-Length first), sometimes not.
    framed: fc.boolean(),
  })
  .map((r) => {
    const framing = r.framed ? `Host: node\r\nContent-Length: ${r.body.length}\r\n` : ''
    return Buffer.concat([
      Buffer.from(
        `${r.method} ${r.target} ${r.version}\r\n${framing}` +
          r.headers.map(([n, v]) => `${n}: ${v}\r\n`).join('') +
          '\r\n',
        'latin1',
      ),
      r.body,
    ])
  })
/** Requests the API could accept: right method and path, session headers, arbitrary values. */
const wellFormed = fc
  .record({
    op: fc.constantFrom('PUT /v1/kv/', 'POST /v1/kv/', 'GET /v1/kv/', 'POST /v1/sessions'),
    key: fc.stringMatching(/^[a-z0-9]{1,4}$/),
    session: fc.option(
      fc.tuple(
        fc.oneof(fc.stringMatching(/^[\x21-\x7e]{1,20}$/), fc.constant('s-AAAAAAAAAAAAAAAAAAAAAA')),
        fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constant(Number.MAX_SAFE_INTEGER)),
      ),
    ),
    body: fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .string({ unit: 'grapheme', minLength: 1, maxLength: 200 })
          .map((t) => new TextEncoder().encode(t)),
      },
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 512 }) },
      { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
    ),
  })
  .map(({ op, key, session, body }) => {
    const target =
      op === 'POST /v1/sessions' ? op : `${op}${key}${op.startsWith('POST') ? '/append' : ''}`
    const headers = session
      ? `Raftkit-Client-Id: ${session[0]}\r\nRaftkit-Request-Seq: ${session[1]}\r\n`
      : ''
    return Buffer.concat([
      Buffer.from(
        `${target} HTTP/1.1\r\nHost: node\r\n${headers}Content-Length: ${body.length}\r\n\r\n`,
        'latin1',
      ),
      body,
    ])
  })
/** A request, and whether the client half-closes after it (it must, when the framing may lie). */
const hostileRequest = fc.oneof(
  { weight: 4, arbitrary: wellFormed.map((bytes) => ({ bytes, halfClose: false })) },
  { weight: 5, arbitrary: structured.map((bytes) => ({ bytes, halfClose: true })) },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ maxLength: 4096 }).map((bytes) => ({ bytes, halfClose: true })),
  },
)

describe(`hostile: HTTP request fuzzing (fast-check seed ${SEED}, ${RUNS} requests)`, function () {
  this.timeout(180_000)
  const clusters = useTestCluster()

  it('every answer is < 500 or 503/504, or a close; every node stays up; RSS bounded', async () => {
    const cluster = await clusters.start(3)
    const leader = { id: await waitForAllNodes(cluster) }
    const follower = cluster.ids.find((id) => id !== leader.id) as string
    const targets = [leader.id, follower].map((id) => nodeSpec(cluster, id).http)
    const before = clusterRss(cluster)
    console.log(`      fast-check seed ${SEED}, ${RUNS} requests (FUZZ_SEED / FUZZ_RUNS)`)
    const statuses = new Map<string, number>()
    let i = 0
    await fc.assert(
      fc.asyncProperty(hostileRequest, async ({ bytes, halfClose }) => {
        const { host, port } = targets[i++ % targets.length]!
        const answer = await rawExchange(host, port, bytes, { halfClose })
        const label = answer.status === null ? 'closed' : String(answer.status)
        statuses.set(label, (statuses.get(label) ?? 0) + 1)
        expect(answer.timedOut, 'the node neither answered nor closed within 10 s').to.equal(false)
        if (answer.status !== null)
          expect(
            answer.status < 500 || answer.status === 503 || answer.status === 504,
            answer.text.slice(0, 300),
          ).to.equal(true)
      }),
      { seed: SEED, numRuns: RUNS },
    )
    const growth = rssGrowth(before, clusterRss(cluster))
    console.log(
      `      answers: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(' ')}; RSS ${growth.text}; max growth +${(growth.max / MiB).toFixed(1)} MiB`,
    )
    expect(cluster.nodes.unexpectedExits).to.deep.equal([])
    for (const id of cluster.ids)
      expect((await request(`${httpBase(cluster, id)}/v1/status`)).status, id).to.equal(200)
    expect(growth.max).to.be.below(HTTP_FUZZ_RSS_BOUND)
  })
})

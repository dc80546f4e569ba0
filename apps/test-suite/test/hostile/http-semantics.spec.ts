/**
 * Hostile input, HTTP API answers that must stay exact on a real 3-process cluster: a value
 * that starts with a UTF-8 byte-order mark is stored and returned byte for byte; a different
 * request under an already-used (client id, seq) — a restarted counter, or someone writing
 * seq 2^53−1 under another client's id — is answered 409 and not executed, while a true retry
 * is still answered 204 once; an append whose result would exceed limits.maxValueBytes is
 * refused with 413 naming the limit and changes nothing. Each node's RSS is measured before and
 * after and must grow by less than HTTP_PROBES_RSS_BOUND.
 */
import { expect } from 'chai'
import { useTestCluster } from '../multiprocess/helpers.js'
import type { TestCluster } from '../multiprocess/helpers.js'
import {
  MiB,
  clusterRss,
  httpBase,
  openSession,
  request,
  rssGrowth,
  waitForAllNodes,
} from './helpers.js'

/** RSS growth allowed per node over these probes (they store < 3 MiB of values in all). */
const HTTP_PROBES_RSS_BOUND = 64 * MiB

const BOM = [0xef, 0xbb, 0xbf]

describe('hostile: exact bytes, request conflicts and the stored-value limit over HTTP', function () {
  this.timeout(90_000)
  const clusters = useTestCluster()
  let cluster: TestCluster
  let base: string
  let rssBefore: Map<string, number>

  before(async () => {
    cluster = await clusters.start(3)
    base = httpBase(cluster, await waitForAllNodes(cluster))
    rssBefore = clusterRss(cluster)
  })

  async function write(
    op: 'put' | 'append',
    key: string,
    body: Uint8Array | string,
    clientId: string,
    seq: number | string,
  ): Promise<Response> {
    return request(`${base}/v1/kv/${encodeURIComponent(key)}${op === 'append' ? '/append' : ''}`, {
      method: op === 'put' ? 'PUT' : 'POST',
      headers: { 'raftkit-client-id': clientId, 'raftkit-request-seq': String(seq) },
      body,
    })
  }

  async function read(key: string): Promise<{ status: number; bytes: Uint8Array }> {
    const res = await request(`${base}/v1/kv/${encodeURIComponent(key)}`)
    return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()) }
  }

  it('keeps a leading byte-order mark: PUT and append store exactly the bytes sent', async () => {
    const id = await openSession(base)
    const put = Uint8Array.from([...BOM, 0x61, 0x62])
    expect((await write('put', 'bom', put, id, 1)).status).to.equal(204)
    expect((await read('bom')).bytes).to.deep.equal(put)
    const more = Uint8Array.from([...BOM, 0x63])
    expect((await write('append', 'bom', more, id, 2)).status).to.equal(204)
    expect((await read('bom')).bytes).to.deep.equal(Uint8Array.from([...put, ...more]))
    const only = Uint8Array.from(BOM)
    expect((await write('put', 'bom-only', only, id, 3)).status).to.equal(204)
    expect((await read('bom-only')).bytes).to.deep.equal(only)
  })

  it('answers 409 to a different request under a used (client id, seq), 204 to a true retry', async () => {
    const id = await openSession(base)
    expect((await write('put', 'c1', 'first', id, 1)).status).to.equal(204)
    expect((await write('put', 'c1', 'first', id, 1)).status, 'a true retry').to.equal(204)
    // A client that restarted its counter: same seq, another key or value.
    const restarted = await write('put', 'c2', 'other', id, 1)
    expect(restarted.status).to.equal(409)
    expect(((await restarted.json()) as { error: string }).error).to.equal('REQUEST_CONFLICT')
    expect((await read('c2')).status, 'the conflicting write did not run').to.equal(404)
    expect((await write('put', 'c1', 'changed', id, 1)).status).to.equal(409)
    expect(Buffer.from((await read('c1')).bytes).toString()).to.equal('first')

    // Someone else writes seq 2^53−1 under this client's id: later writes are refused loudly,
    // never silently turned into no-ops.
    expect((await write('put', 'c3', 'hijack', id, Number.MAX_SAFE_INTEGER)).status).to.equal(204)
    const later = await write('put', 'c4', 'mine', id, 2)
    expect(later.status).to.equal(409)
    expect((await read('c4')).status).to.equal(404)
  })

  it('refuses an append whose result would exceed limits.maxValueBytes (413) and keeps the value', async () => {
    const max = cluster.config.limits.maxValueBytes
    const id = await openSession(base)
    const first = new Uint8Array(Math.floor(max * 0.6)).fill(0x61)
    expect((await write('put', 'big', first, id, 1)).status).to.equal(204)
    const res = await write('append', 'big', first, id, 2)
    expect(res.status).to.equal(413)
    const body = (await res.json()) as { error: string; message: string }
    expect(body.error).to.equal('VALUE_TOO_LARGE')
    expect(body.message).to.include('limits.maxValueBytes')
    expect((await read('big')).bytes.length).to.equal(first.length)
    // A request body over the limit on its own is refused the same way.
    const whole = await write('put', 'big2', new Uint8Array(max + 1).fill(0x62), id, 3)
    expect(whole.status).to.equal(413)
    expect((await read('big2')).status).to.equal(404)
  })

  it(`every node's RSS grew by less than ${HTTP_PROBES_RSS_BOUND / MiB} MiB over these probes`, () => {
    const growth = rssGrowth(rssBefore, clusterRss(cluster))
    console.log(
      `      http probes: RSS ${growth.text}; max growth +${(growth.max / MiB).toFixed(1)} MiB`,
    )
    expect(growth.max).to.be.below(HTTP_PROBES_RSS_BOUND)
  })
})

/**
 * Hostile input, HTTP resources, on a real 3-process cluster whose `http` section is tightened
 * (bodies held at most 16 MiB in total, 3 s for headers and for a body): 100 connections each
 * holding an unfinished 1 MiB body, and 200 slowloris connections trickling header bytes. The
 * node answers what does not fit 503, the rest 408 when their time is up, closes every
 * slowloris socket, keeps answering others meanwhile, and its RSS grows by less than
 * maxPendingBodyBytes + HTTP_OVERHEAD_BOUND.
 */
import { expect } from 'chai'
import type { Socket } from 'node:net'
import type { TestCluster } from '../multiprocess/helpers.js'
import {
  MiB,
  RssSampler,
  clusterRss,
  httpBase,
  nodeSpec,
  request,
  rssGrowth,
  startPatchedCluster,
  tcpConnect,
  waitForAllNodes,
} from './helpers.js'

const HTTP = {
  maxPendingBodyBytes: 16 * MiB,
  headersTimeoutMs: 3000,
  bodyTimeoutMs: 3000,
  requestTimeoutMs: 8000,
}
/** RSS growth allowed beyond the bytes of bodies the node may hold (sockets, parsers, GC slack). */
const HTTP_OVERHEAD_BOUND = 48 * MiB

/** Resolves with what the server sent once it closes, or rejects after `ms` (a bound). */
function closedWithin(socket: Socket, ms: number, what: string): Promise<string> {
  let received = ''
  socket.on('data', (c: Buffer) => (received += c.toString('latin1')))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: still open after ${ms} ms`)), ms)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve(received)
    })
  })
}

const statusOf = (text: string): string => /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 'closed'

function tally(items: string[]): string {
  const m = new Map<string, number>()
  for (const s of items) m.set(s, (m.get(s) ?? 0) + 1)
  return [...m].map(([s, n]) => `${s}×${n}`).join(' ')
}

describe('hostile: unfinished HTTP bodies and slowloris', function () {
  this.timeout(120_000)
  let cluster: TestCluster | undefined
  let failed = false
  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true
  })
  after(async () => cluster?.close(failed))

  let leader: string
  before(async () => {
    cluster = await startPatchedCluster((file) => (file['http'] = HTTP))
    leader = await waitForAllNodes(cluster)
  })

  it('100 unfinished 1 MiB bodies: 503 beyond the byte budget, 408 when their time is up, RSS bounded', async () => {
    const c = cluster as TestCluster
    const { host, port } = nodeSpec(c, leader).http
    const before = clusterRss(c)
    const sampler = new RssSampler(c)
    const all = Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const socket = await tcpConnect(host, port)
        const closed = closedWithin(socket, 30_000, `unfinished body ${i}`)
        socket.write(
          `PUT /v1/kv/unfinished-${i} HTTP/1.1\r\nHost: node\r\nContent-Length: ${MiB}\r\n\r\n`,
        )
        socket.write(Buffer.alloc(MiB - 1, 0x61)) // one byte short, forever
        return statusOf(await closed)
      }),
    )
    const answers = await all.finally(() => sampler.stop())
    const growth = rssGrowth(before, sampler.stop())
    console.log(
      `      unfinished bodies: answers ${tally(answers)}; peak RSS ${growth.text}; max growth +${(growth.max / MiB).toFixed(1)} MiB`,
    )
    expect(answers.filter((s) => s !== '408' && s !== '503')).to.deep.equal([])
    expect(answers).to.include('503')
    expect(answers).to.include('408')
    expect(growth.max).to.be.below(HTTP.maxPendingBodyBytes + HTTP_OVERHEAD_BOUND)
    // Nothing was stored, and the node serves again.
    const base = httpBase(c, leader)
    expect((await request(`${base}/v1/kv/unfinished-0`)).status).to.equal(404)
    expect(
      (await request(`${base}/v1/kv/after-bodies`, { method: 'PUT', body: 'ok' })).status,
    ).to.equal(204)
  })

  it('200 slowloris connections: each closed once its header time is up; others served meanwhile', async () => {
    const c = cluster as TestCluster
    const { host, port } = nodeSpec(c, leader).http
    const before = clusterRss(c)
    const sampler = new RssSampler(c)
    const sockets = await Promise.all(Array.from({ length: 200 }, () => tcpConnect(host, port)))
    const closed = sockets.map((s, i) => closedWithin(s, 30_000, `slowloris ${i}`))
    for (const s of sockets) s.write('GET /v1/status HTTP/1.1\r\nHost: node\r\nX-Slow: ')
    // One more header byte per connection every 500 ms, until the server lets go.
    const trickle = setInterval(() => {
      for (const s of sockets) if (s.writable) s.write('a')
    }, 500)
    try {
      const status = await request(`${httpBase(c, leader)}/v1/status`)
      expect(status.status, 'a normal request during the attack').to.equal(200)
      const answers = await Promise.all(closed)
      const growth = rssGrowth(before, sampler.stop())
      console.log(
        `      slowloris: answers ${tally(answers.map(statusOf))}; peak RSS ${growth.text}; max growth +${(growth.max / MiB).toFixed(1)} MiB`,
      )
      expect(answers.map(statusOf).filter((s) => s !== '408' && s !== 'closed')).to.deep.equal([])
      expect(growth.max).to.be.below(HTTP_OVERHEAD_BOUND)
    } finally {
      clearInterval(trickle)
      sampler.stop()
      for (const s of sockets) s.destroy()
    }
  })
})

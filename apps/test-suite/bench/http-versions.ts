/**
 * HTTP/1.1 with keep-alive against HTTP/2 cleartext (h2c) and a WebSocket request/response RPC,
 * transport cost alone (issue 15: would an endpoint with many requests in flight per connection
 * cut the leader's per-request cost?). A child process serves the kv routes' shape with nothing
 * behind them (PUT /v1/kv/<key> with the session headers → read the body, 204; GET → 200 with a
 * 128-byte body), over node:http, node:http2 (the core `stream` API, no compatibility layer) or
 * a `ws` WebSocketServer upgraded on a node:http server (`ws`: each request one binary frame
 * [op, request id, seq, client id, key, value], answered by a frame [status, request id, value];
 * the server decodes the key and client id to strings, as node:http does the URL and headers,
 * and leaves the value a Buffer, as the HTTP body is; `ws-cork`: the same, both sides corking
 * their socket until the end of the tick, so the frames of one tick go out in one write). This
 * process drives it with --clients closed-loop clients: HTTP/1.1 as HttpKvRpc does (an undici
 * `Client` per client, `dispatch`), h2c over one node:http2 session (`h2`) or one
 * undici `H2CClient` (`undici-h2c`), ws over --ws-connections WebSockets (default 1) that all
 * clients share, as one client process would. Reports, per operation, the server's CPU time,
 * the heap bytes it allocated (v8.GCProfiler) and its GCs, and the client process's CPU time:
 * one JSON line per row.
 *
 *   npx tsx --conditions=@raftkit/source bench/http-versions.ts [--clients 64] [--seconds 3]
 *     [--pairs 2] [--modes h1,h2,undici-h2c,ws,ws-cork] [--ops put,get] [--ws-connections 1]
 */
import type { ChildProcess } from 'node:child_process'
import { fork } from 'node:child_process'
import { createServer } from 'node:http'
import type { ClientHttp2Session } from 'node:http2'
import { connect, createServer as createH2Server } from 'node:http2'
import type { Socket } from 'node:net'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { GCProfiler, getHeapStatistics } from 'node:v8'
import { Client, H2CClient } from 'undici'
import type { Dispatcher } from 'undici'
import { WebSocket, WebSocketServer } from 'ws'
import { VALUE_BYTES, key, value } from './kv-workload.js'

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '3' },
    pairs: { type: 'string', default: '2' },
    modes: { type: 'string', default: 'h1,h2,undici-h2c' },
    ops: { type: 'string', default: 'put,get' },
    'ws-connections': { type: 'string', default: '1' },
    serve: { type: 'string' },
  },
})

const MODES = ['h1', 'h2', 'undici-h2c', 'ws', 'ws-cork'] as const
type Mode = (typeof MODES)[number]
const KEYS = 1000
const CLIENT_ID = 's-0123456789abcdefghijkl'
/** Frame ops and the answer's status byte (ws modes). */
const OP_GET = 1
const OP_PUT = 2
const STATUS_OK = 0

interface ServerFigures {
  readonly cpuUs: number
  readonly allocated: number
  readonly gcs: number
}

/**
 * The ws modes' server: [op u8, id u32, (writes: seq f64, client id length u8, client id),
 * key length u16, key, (writes: value)] → [status u8, id u32, (gets: value)].
 */
function serveWs(cork: boolean, body: Buffer): ReturnType<typeof createServer> {
  const server = createServer({ keepAliveTimeout: 60_000 }, (_req, res) => res.writeHead(404).end())
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 4096 })
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      let corked = false
      const uncork = (): void => {
        corked = false
        socket.uncork()
      }
      ws.on('message', (data: Buffer) => {
        const op = data[0]
        const id = data.readUInt32BE(1)
        let at = 5
        let clientId = ''
        if (op === OP_PUT) {
          const seq = data.readDoubleBE(at)
          if (!Number.isSafeInteger(seq)) throw new RangeError('bad seq')
          const n = data[at + 8] ?? 0
          clientId = data.toString('latin1', at + 9, at + 9 + n)
          at += 9 + n
        }
        const keyLength = data.readUInt16BE(at)
        const k = data.toString('utf8', at + 2, at + 2 + keyLength)
        const v = data.subarray(at + 2 + keyLength)
        if (k.length === 0 || (op === OP_PUT && (clientId.length === 0 || v.length === 0)))
          throw new RangeError('bad frame')
        let answer: Buffer
        if (op === OP_PUT) answer = Buffer.allocUnsafe(5)
        else {
          answer = Buffer.allocUnsafe(5 + body.length)
          body.copy(answer, 5)
        }
        answer[0] = STATUS_OK
        answer.writeUInt32BE(id, 1)
        if (cork && !corked) {
          corked = true
          socket.cork()
          process.nextTick(uncork)
        }
        ws.send(answer)
      })
    })
  })
  return server
}

/** The child: serves until told to exit; measures between 'start' and 'stop'. */
function serve(kind: string): void {
  const body = Buffer.from('x'.repeat(VALUE_BYTES))
  let server: ReturnType<typeof createServer> | ReturnType<typeof createH2Server>
  if (kind === 'ws' || kind === 'ws-cork') server = serveWs(kind === 'ws-cork', body)
  else if (kind === 'h1') {
    server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
      if (req.method === 'PUT') {
        const chunks: Buffer[] = []
        req.on('data', (c: Buffer) => chunks.push(c))
        req.on('end', () => res.writeHead(204).end())
      } else {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': 128 })
        res.end(body)
      }
    })
  } else {
    const s = createH2Server({ maxSessionMemory: 64 })
    s.on('stream', (stream, headers) => {
      if (headers[':method'] === 'PUT') {
        const chunks: Buffer[] = []
        stream.on('data', (c: Buffer) => chunks.push(c))
        stream.on('end', () => stream.respond({ ':status': 204 }, { endStream: true }))
      } else {
        stream.respond({
          ':status': 200,
          'content-type': 'text/plain; charset=utf-8',
          'content-length': 128,
        })
        stream.end(body)
      }
    })
    server = s
  }
  let cpu0: NodeJS.CpuUsage | undefined
  let profiler: GCProfiler | undefined
  let base = 0
  server.listen(0, '127.0.0.1', () => {
    const address = server.address()
    process.send?.({ port: typeof address === 'object' && address ? address.port : 0 })
  })
  process.on('message', (m) => {
    if (m === 'start') {
      cpu0 = process.cpuUsage()
      profiler = new GCProfiler()
      profiler.start()
      base = getHeapStatistics().used_heap_size
    } else if (m === 'stop' && profiler) {
      const cpu = process.cpuUsage(cpu0)
      let after = base
      let allocated = 0
      let gcs = 0
      for (const s of profiler.stop().statistics) {
        allocated += Math.max(0, s.beforeGC.heapStatistics.usedHeapSize - after)
        after = s.afterGC.heapStatistics.usedHeapSize
        gcs++
      }
      allocated += Math.max(0, getHeapStatistics().used_heap_size - after)
      const figures: ServerFigures = { cpuUs: cpu.user + cpu.system, allocated, gcs }
      process.send?.(figures)
    } else if (m === 'exit') process.exit(0)
  })
}

function next<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve) => child.once('message', (m) => resolve(m as T)))
}

type Run = (client: number, k: string, put: boolean) => Promise<void>

/** The ws modes' client: `connections` WebSockets shared by all clients (client c on c % n). */
async function wsClients(
  port: number,
  connections: number,
  cork: boolean,
): Promise<{ run: Run; close: () => void }> {
  const sockets = await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/rpc`, { perMessageDeflate: false })
          ws.once('open', () => resolve(ws))
          ws.once('error', reject)
        }),
    ),
  )
  const pending = new Map<number, () => void>()
  for (const ws of sockets)
    ws.on('message', (data: Buffer) => {
      const id = data.readUInt32BE(1)
      const done = pending.get(id)
      pending.delete(id)
      done?.()
    })
  let nextId = 0
  const seqs: number[] = []
  // ws-cork: the frames of one tick go out in one write (the socket is ws's own; the bench
  // reaches it through ws's internal field, to measure before building anything on it).
  const raw = sockets.map((ws) => (ws as unknown as { _socket: Socket })._socket)
  const corked = sockets.map(() => false)
  const uncork = (i: number): void => {
    corked[i] = false
    raw[i]?.uncork()
  }
  return {
    run: (c, k, isPut) =>
      new Promise((resolve) => {
        const id = nextId
        nextId = (nextId + 1) >>> 0
        const keyLength = Buffer.byteLength(k)
        let frame: Buffer
        let at = 5
        if (isPut) {
          const seq = (seqs[c] = (seqs[c] ?? 0) + 1)
          frame = Buffer.allocUnsafe(5 + 9 + CLIENT_ID.length + 2 + keyLength + VALUE_BYTES)
          frame[0] = OP_PUT
          frame.writeDoubleBE(seq, at)
          frame[at + 8] = CLIENT_ID.length
          frame.write(CLIENT_ID, at + 9, 'latin1')
          at += 9 + CLIENT_ID.length
        } else {
          frame = Buffer.allocUnsafe(5 + 2 + keyLength)
          frame[0] = OP_GET
        }
        frame.writeUInt32BE(id, 1)
        frame.writeUInt16BE(keyLength, at)
        frame.write(k, at + 2, 'utf8')
        if (isPut) frame.write(value, at + 2 + keyLength, 'utf8')
        pending.set(id, resolve)
        const i = c % sockets.length
        if (cork && !corked[i]) {
          corked[i] = true
          raw[i]?.cork()
          process.nextTick(uncork, i)
        }
        ;(sockets[i] as WebSocket).send(frame)
      }),
    close: () => {
      for (const ws of sockets) ws.terminate()
    },
  }
}

/** The client side of one mode: how one client sends one request, and how to close it all. */
function clientsOf(mode: Mode, port: number, n: number): { run: Run; close: () => void } {
  const origin = `http://127.0.0.1:${port}`
  const put = (k: string): Dispatcher.DispatchOptions => ({
    path: `/v1/kv/${k}`,
    method: 'PUT',
    headers: ['raftkit-client-id', 's-0123456789abcdefghijkl', 'raftkit-request-seq', '1'],
    body: value,
  })
  if (mode === 'h2') {
    const session: ClientHttp2Session = connect(origin)
    return {
      run: (_c, k, isPut) =>
        new Promise((resolve, reject) => {
          const s = session.request(
            isPut
              ? {
                  ':method': 'PUT',
                  ':path': `/v1/kv/${k}`,
                  'raftkit-client-id': 's-0123456789abcdefghijkl',
                  'raftkit-request-seq': '1',
                }
              : { ':path': `/v1/kv/${k}` },
            { endStream: !isPut },
          )
          if (isPut) s.end(value)
          s.on('data', () => undefined)
          s.on('end', resolve)
          s.on('error', reject)
        }),
      close: () => session.destroy(),
    }
  }
  const shared =
    mode === 'undici-h2c'
      ? new H2CClient(origin, { pipelining: n, maxConcurrentStreams: n })
      : undefined
  const clients = Array.from({ length: n }, () => shared ?? new Client(origin, { pipelining: 1 }))
  return {
    run: (c, k, isPut) =>
      new Promise((resolve, reject) => {
        const handler: Dispatcher.DispatchHandler = {
          onConnect: () => undefined,
          onHeaders: () => true,
          onData: () => true,
          onComplete: () => resolve(),
          onError: reject,
        }
        ;(clients[c] as Dispatcher).dispatch(
          isPut ? put(k) : { path: `/v1/kv/${k}`, method: 'GET' },
          handler,
        )
      }),
    close: () => {
      for (const c of new Set(clients)) void c.destroy()
    },
  }
}

async function phase(run: Run, n: number, put: boolean, seconds: number): Promise<number> {
  const end = performance.now() + seconds * 1000
  let ops = 0
  await Promise.all(
    Array.from({ length: n }, async (_, c) => {
      for (let i = c; performance.now() < end; i += n) {
        await run(c, key(i % KEYS), put)
        ops++
      }
    }),
  )
  return ops
}

async function measureMode(mode: Mode, op: 'put' | 'get', n: number, seconds: number) {
  const kind = mode === 'undici-h2c' ? 'h2' : mode
  const child = fork(fileURLToPath(import.meta.url), ['--serve', kind], {
    execArgv: process.execArgv,
  })
  try {
    const { port } = await next<{ port: number }>(child)
    const { run, close } =
      mode === 'ws' || mode === 'ws-cork'
        ? await wsClients(port, Number(values['ws-connections']), mode === 'ws-cork')
        : clientsOf(mode, port, n)
    try {
      await phase(run, n, op === 'put', 1)
      child.send('start')
      const cpu0 = process.cpuUsage()
      const ops = await phase(run, n, op === 'put', seconds)
      const cpu = process.cpuUsage(cpu0)
      child.send('stop')
      const s = await next<ServerFigures>(child)
      return {
        mode,
        op,
        clients: n,
        opsPerSec: Math.round(ops / seconds),
        serverCpuUsPerOp: Math.round((s.cpuUs / ops) * 10) / 10,
        serverAllocBytesPerOp: Math.round(s.allocated / ops),
        serverGcsPer10k: Math.round((s.gcs * 100_000) / ops) / 10,
        clientCpuUsPerOp: Math.round(((cpu.user + cpu.system) / ops) * 10) / 10,
        load1: Math.round((loadavg()[0] ?? 0) * 10) / 10,
      }
    } finally {
      close()
    }
  } finally {
    child.send('exit')
  }
}

async function main(): Promise<void> {
  const n = Number(values.clients)
  const seconds = Number(values.seconds)
  const modes = (values.modes ?? '').split(',') as Mode[]
  for (const m of modes)
    if (!MODES.includes(m)) throw new RangeError(`--modes: unknown mode ${String(m)}`)
  if (!(Number(values['ws-connections']) >= 1))
    throw new RangeError('--ws-connections must be a positive integer')
  for (let pair = 1; pair <= Number(values.pairs); pair++)
    for (const op of (values.ops ?? '').split(',') as Array<'put' | 'get'>)
      for (const mode of modes)
        console.log(JSON.stringify({ pair, ...(await measureMode(mode, op, n, seconds)) }))
}

if (values.serve !== undefined) serve(values.serve)
else
  main().catch((e: unknown) => {
    console.error(e)
    process.exitCode = 1
  })

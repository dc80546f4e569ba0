/**
 * The key/value client's own CPU cost, in isolation: a child process imitates a node's HTTP API
 * (PUT /v1/kv/<key> → 204, GET /v1/kv/<key> → 200 with a 128-byte body; nothing else), and this
 * process runs --clients closed-loop KvClients (each over its own HttpKvRpc, as in cluster-ws.ts)
 * for --seconds of puts, then --seconds of gets. The server runs in another process, so this
 * process's CPU time (process.cpuUsage) is the client side's only. Reports operations/s and
 * client CPU µs per operation: one JSON line per row, then a table.
 *
 *   npx tsx --conditions=@raftkit/source bench/kv-client-cpu.ts [--clients 64] [--seconds 3]
 *     [--raw]
 *
 * `--raw` adds reference rows for the same load without KvClient/HttpKvRpc: bare node:http
 * (a keep-alive Agent per client) and bare undici (a `Client` per client, `request()`).
 */
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { Agent, createServer, request as httpRequest } from 'node:http'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { SystemClock, createRng } from '@raftkit/raft-core'
import { HttpKvRpc, KvClient } from '@raftkit/kv-service'
import { Client as UndiciClient } from 'undici'
import { VALUE_BYTES, key, value } from './kv-workload.js'

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '3' },
    raw: { type: 'boolean', default: false },
    serve: { type: 'boolean', default: false },
  },
})

const KEYS = 1000

/** The child: a minimal imitation of the node API; prints its port, exits when stdin closes. */
function serve(): void {
  const body = Buffer.from('x'.repeat(VALUE_BYTES))
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    if (req.method === 'PUT' || req.method === 'POST') {
      req.resume()
      req.once('end', () => res.writeHead(204).end())
      return
    }
    res.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': body.length,
    })
    res.end(body)
  })
  server.listen(0, '127.0.0.1', () => {
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    process.stdout.write(`${address.port}\n`)
  })
  process.stdin.resume()
  process.stdin.once('end', () => {
    server.closeAllConnections()
    server.close()
    process.stdin.pause()
  })
}

function startServer(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--serve'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  return new Promise((resolve, reject) => {
    let out = ''
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString()
      const line = out.split('\n')
      if (line.length > 1) resolve({ port: Number(line[0]), child })
    })
  })
}

interface Row {
  readonly bench: 'kv-client-cpu'
  readonly client: 'KvClient+HttpKvRpc' | 'node:http' | 'undici'
  readonly op: 'put' | 'get'
  readonly clients: number
  readonly opsPerSec: number
  readonly cpuUsPerOp: number
  /** This process's CPU time / wall time (1 = one core busy). */
  readonly cpu: number
  readonly ops: number
  readonly errors: number
}

/** One closed-loop worker: does one operation per call. */
type Op = (k: string) => Promise<unknown>

async function measure(
  client: Row['client'],
  op: Row['op'],
  workers: readonly Op[],
  seconds: number,
): Promise<Row> {
  const rng = createRng(op === 'put' ? 1 : 2)
  let ops = 0
  let errors = 0
  // Warm up (connections, JIT) for a second outside the measurement.
  const warm = performance.now() + 1000
  await Promise.all(
    workers.map(async (w, i) => {
      while (performance.now() < warm) await w(key(i))
    }),
  )
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const end = t0 + seconds * 1000
  await Promise.all(
    workers.map(async (w) => {
      while (performance.now() < end) {
        try {
          await w(key(rng.int(KEYS)))
          ops++
        } catch {
          errors++
        }
      }
    }),
  )
  const wallMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const cpuUs = cpu.user + cpu.system
  return {
    bench: 'kv-client-cpu',
    client,
    op,
    clients: workers.length,
    opsPerSec: Math.round((ops * 1000) / wallMs),
    cpuUsPerOp: Math.round((cpuUs / Math.max(1, ops)) * 10) / 10,
    cpu: Math.round((cpuUs / 1000 / wallMs) * 100) / 100,
    ops,
    errors,
  }
}

async function kvClientRows(port: number, n: number, seconds: number): Promise<Row[]> {
  const clock = new SystemClock()
  const clerks = Array.from({ length: n }, (_, i) => {
    const rpc = new HttpKvRpc({ endpoints: { n1: `127.0.0.1:${port}` } })
    const client = new KvClient({
      servers: ['n1'],
      rpc,
      clock,
      rng: createRng(100 + i),
      deadlineMs: 30_000,
    })
    return { rpc, client }
  })
  try {
    const puts = clerks.map(
      ({ client }): Op =>
        (k) =>
          client.put(k, value),
    )
    const gets = clerks.map(
      ({ client }): Op =>
        (k) =>
          client.get(k),
    )
    return [
      await measure('KvClient+HttpKvRpc', 'put', puts, seconds),
      await measure('KvClient+HttpKvRpc', 'get', gets, seconds),
    ]
  } finally {
    for (const c of clerks) {
      c.client.close()
      c.rpc.close()
    }
  }
}

function nodeHttpOnce(agent: Agent, port: number, method: string, path: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const body = method === 'PUT' ? Buffer.from(value) : undefined
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        agent,
        headers: body ? { 'content-length': String(body.length) } : {},
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.once('end', () => resolve())
        res.once('error', reject)
      },
    )
    req.once('error', reject)
    req.end(body)
  })
}

async function rawRows(port: number, n: number, seconds: number): Promise<Row[]> {
  const rows: Row[] = []
  const agents = Array.from({ length: n }, () => new Agent({ keepAlive: true, maxSockets: 1 }))
  try {
    for (const op of ['put', 'get'] as const) {
      const method = op === 'put' ? 'PUT' : 'GET'
      const workers = agents.map(
        (a): Op =>
          (k) =>
            nodeHttpOnce(a, port, method, `/v1/kv/${k}`),
      )
      rows.push(await measure('node:http', op, workers, seconds))
    }
  } finally {
    for (const a of agents) a.destroy()
  }
  const clients = Array.from({ length: n }, () => new UndiciClient(`http://127.0.0.1:${port}`))
  try {
    for (const op of ['put', 'get'] as const) {
      const workers = clients.map((c): Op => async (k) => {
        const r = await c.request({
          path: `/v1/kv/${k}`,
          method: op === 'put' ? 'PUT' : 'GET',
          ...(op === 'put' ? { body: value } : {}),
        })
        await r.body.text()
      })
      rows.push(await measure('undici', op, workers, seconds))
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()))
  }
  return rows
}

async function main(): Promise<void> {
  const n = Number(values.clients)
  const seconds = Number(values.seconds)
  if (!(Number.isInteger(n) && n > 0) || !(seconds > 0))
    throw new RangeError('--clients: a positive integer, --seconds > 0')
  const load = loadavg()
  const { port, child } = await startServer()
  const rows: Row[] = []
  try {
    rows.push(...(await kvClientRows(port, n, seconds)))
    if (values.raw) rows.push(...(await rawRows(port, n, seconds)))
  } finally {
    child.removeAllListeners('exit')
    child.stdin?.end()
    child.kill()
  }
  for (const r of rows) console.log(JSON.stringify(r))
  console.error(
    `load average before ${load.map((x) => x.toFixed(2)).join(' ')}, after ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  )
  console.table(
    rows.map((r) => ({
      client: r.client,
      op: r.op,
      clients: r.clients,
      'ops/s': r.opsPerSec,
      'client CPU µs/op': r.cpuUsPerOp,
      'client CPU': r.cpu,
      errors: r.errors,
    })),
  )
}

if (values.serve) serve()
else await main()

/**
 * The floor of a 1-client replicated write on this machine, with no raftkit code on the path
 * (BENCHMARKS #15 session 10): what the hops and the disk alone cost.
 *
 * - `rtt`: one --frame-bytes frame each way between two Node processes, --rounds round trips one
 *   after another (both processes idle in epoll between them, as at 1 client), over a `ws`
 *   WebSocket (noDelay, no compression, as raftkit's links) and over a plain TCP socket.
 * - `fsync`: 1, 2 and 3 processes at once, each appending --record-bytes to its own file and
 *   fdatasync-ing it, --rounds times: synchronously on the main thread (`fdatasyncSync`) and
 *   through libuv's thread pool (`FileHandle.datasync`, storage-fs's way for large groups), and
 *   synchronously into a file zero-filled beforehand (overwrites: no metadata to journal).
 * - `commit`: a skeleton of raftkit's 1-client write in four processes over `ws`: this process
 *   (the client) sends a request to a leader, which sends the record to two followers and then
 *   appends + fdatasyncs it itself; each follower appends + fdatasyncs and acknowledges; the
 *   leader answers the client once its own sync and one follower's acknowledgement are in.
 *   Each process's fdatasync on the main thread (sync), on the thread pool (pool), and on the
 *   main thread into zero-filled files (zeroed); with
 *   --burn, each of the four steps (leader: request in, ack in; follower: AppendEntries in,
 *   sync done) first spins for that many µs, standing in for a server's own code.
 *
 * Prints one JSON line per measurement (µs: p10, p50, p90, p99) and a table.
 *
 *   npx tsx --conditions=@raftkit/source bench/latency-floor.ts [--rounds 3000]
 *     [--only rtt,fsync,commit] [--frame-bytes 200] [--record-bytes 220] [--dir /tmp]
 *     [--burn 0,50,100]
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fdatasyncSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { createServer, connect, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { WebSocket, WebSocketServer } from 'ws'
import { processCpuMs, processSleeps } from './closed-loop.js'
import { describeCpuIdle } from './cpu-idle.js'
import { floorRowName, type FloorSyncMode } from './latency-floor-names.js'

/** Bytes zero-filled ahead in `zeroed` mode (more than any run appends). */
const ZEROED_BYTES = 16 * 1024 * 1024
interface Role {
  readonly role: 'echo-ws' | 'echo-tcp' | 'fsync' | 'follower' | 'leader'
  readonly dir?: string
  readonly rounds?: number
  readonly recordBytes?: number
  readonly sync?: FloorSyncMode
  readonly followers?: readonly number[]
  /** µs of busy CPU work at each step of the commit skeleton (stands in for a server's code). */
  readonly burnUs?: number
}

/** Spins for `us` microseconds. */
function burn(us: number): void {
  if (us <= 0) return
  const end = process.hrtime.bigint() + BigInt(Math.round(us * 1000))
  while (process.hrtime.bigint() < end);
}

const LOCAL = '127.0.0.1'

// --- children -------------------------------------------------------------------------------

/** Appends `record` to its own file in `dir` and makes it durable (each call). */
function appender(
  dir: string,
  name: string,
  mode: FloorSyncMode,
): (record: Buffer) => Promise<void> {
  const path = join(dir, name)
  const fd = openSync(path, 'w+')
  if (mode === 'zeroed') {
    const zeros = Buffer.alloc(1024 * 1024)
    for (let at = 0; at < ZEROED_BYTES; at += zeros.length)
      writeSync(fd, zeros, 0, zeros.length, at)
    fsyncSync(fd)
  }
  let position = 0
  const syncPool = open(path, 'r+')
  return async (record) => {
    writeSync(fd, record, 0, record.length, position)
    position += record.length
    if (mode === 'pool') await (await syncPool).datasync()
    else fdatasyncSync(fd)
  }
}

function listenWs(onSocket: (ws: WebSocket) => void): Promise<number> {
  const server = new WebSocketServer({ host: LOCAL, port: 0, perMessageDeflate: false })
  server.on('connection', onSocket)
  return new Promise((resolve) => {
    server.on('listening', () => resolve((server.address() as AddressInfo).port))
  })
}

function dialWs(port: number): Promise<WebSocket> {
  const ws = new WebSocket(`ws://${LOCAL}:${port}`, { perMessageDeflate: false })
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

async function child(role: Role): Promise<void> {
  const send = (m: unknown): void => void process.send?.(m)
  switch (role.role) {
    case 'echo-ws': {
      const port = await listenWs((ws) => ws.on('message', (data) => ws.send(data as Buffer)))
      return send({ port })
    }
    case 'echo-tcp': {
      const server = createServer((s) => {
        s.setNoDelay(true)
        s.on('data', (chunk) => s.write(chunk))
      })
      server.listen(0, LOCAL, () => send({ port: (server.address() as AddressInfo).port }))
      return
    }
    case 'fsync': {
      const append = appender(role.dir as string, `w${process.pid}`, role.sync as FloorSyncMode)
      const record = Buffer.alloc(role.recordBytes as number, 7)
      send({ ready: true })
      await new Promise((resolve) => process.once('message', resolve))
      const us: number[] = []
      for (let i = 0; i < (role.rounds as number); i++) {
        const t0 = process.hrtime.bigint()
        await append(record)
        us.push(Number(process.hrtime.bigint() - t0) / 1000)
      }
      return send({ us })
    }
    case 'follower': {
      const append = appender(role.dir as string, `f${process.pid}`, role.sync as FloorSyncMode)
      const ack = Buffer.alloc(40, 1)
      const port = await listenWs((ws) =>
        ws.on('message', (data) => {
          burn(role.burnUs ?? 0)
          void append(data as Buffer).then(() => {
            burn(role.burnUs ?? 0)
            ws.send(ack)
          })
        }),
      )
      return send({ port })
    }
    case 'leader': {
      const append = appender(role.dir as string, `l${process.pid}`, role.sync as FloorSyncMode)
      const reply = Buffer.alloc(30, 2)
      let acks = 0
      let synced = false
      let answer: (() => void) | undefined
      const maybeAnswer = (): void => {
        if (answer && synced && acks >= 1) {
          answer()
          answer = undefined
        }
      }
      const followers = await Promise.all((role.followers ?? []).map(dialWs))
      for (const f of followers)
        f.on('message', () => {
          burn(role.burnUs ?? 0)
          acks++
          maybeAnswer()
        })
      const port = await listenWs((client) =>
        client.on('message', (data) => {
          acks = 0
          synced = false
          answer = () => client.send(reply)
          burn(role.burnUs ?? 0)
          for (const f of followers) f.send(data as Buffer)
          void append(data as Buffer).then(() => {
            synced = true
            maybeAnswer()
          })
        }),
      )
      return send({ port })
    }
  }
}

// --- the parent -----------------------------------------------------------------------------

const self = fileURLToPath(import.meta.url)

function start(role: Role): { proc: ChildProcess; first: Promise<Record<string, unknown>> } {
  const proc = fork(self, ['--role', JSON.stringify(role)], { stdio: 'inherit' })
  const first = new Promise<Record<string, unknown>>((resolve) =>
    proc.once('message', (m) => resolve(m as Record<string, unknown>)),
  )
  return { proc, first }
}

interface Row {
  readonly name: string
  readonly n: number
  readonly p10: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
}

function row(name: string, us: number[]): Row {
  const s = us.slice().sort((a, b) => a - b)
  const at = (q: number): number =>
    Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN)
  const r = { name, n: s.length, p10: at(0.1), p50: at(0.5), p90: at(0.9), p99: at(0.99) }
  console.log(JSON.stringify(r))
  return r
}

/** Round trips one after another: `exchange` sends one frame and resolves with its answer. */
async function roundTrips(rounds: number, exchange: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < Math.min(500, rounds); i++) await exchange() // warm-up
  const us: number[] = []
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint()
    await exchange()
    us.push(Number(process.hrtime.bigint() - t0) / 1000)
  }
  return us
}

function wsExchange(ws: WebSocket, frame: Buffer): () => Promise<void> {
  let waiting: (() => void) | undefined
  ws.on('message', () => waiting?.())
  return () =>
    new Promise<void>((resolve) => {
      waiting = resolve
      ws.send(frame)
    })
}

function tcpExchange(socket: Socket, frame: Buffer): () => Promise<void> {
  let got = 0
  let waiting: (() => void) | undefined
  socket.on('data', (chunk) => {
    got += chunk.length
    if (got >= frame.length && waiting) {
      got -= frame.length
      const w = waiting
      waiting = undefined
      w()
    }
  })
  return () =>
    new Promise<void>((resolve) => {
      waiting = resolve
      socket.write(frame)
    })
}

async function rtt(rounds: number, frameBytes: number): Promise<Row[]> {
  const frame = Buffer.alloc(frameBytes, 3)
  const rows: Row[] = []
  const ws = start({ role: 'echo-ws' })
  const link = await dialWs((await ws.first)['port'] as number)
  rows.push(
    row(
      floorRowName({ kind: 'rtt', transport: 'ws', bytes: frameBytes }),
      await roundTrips(rounds, wsExchange(link, frame)),
    ),
  )
  link.terminate()
  ws.proc.kill()
  const tcp = start({ role: 'echo-tcp' })
  const port = (await tcp.first)['port'] as number
  const socket = await new Promise<Socket>((resolve) => {
    const s = connect(port, LOCAL, () => resolve(s))
  })
  socket.setNoDelay(true)
  rows.push(
    row(
      floorRowName({ kind: 'rtt', transport: 'tcp', bytes: frameBytes }),
      await roundTrips(rounds, tcpExchange(socket, frame)),
    ),
  )
  socket.destroy()
  tcp.proc.kill()
  return rows
}

async function fsyncs(dir: string, rounds: number, recordBytes: number): Promise<Row[]> {
  const rows: Row[] = []
  for (const sync of ['sync', 'pool', 'zeroed'] as const) {
    for (const writers of [1, 2, 3]) {
      const procs = Array.from({ length: writers }, () =>
        start({ role: 'fsync', dir, rounds, recordBytes, sync }),
      )
      await Promise.all(procs.map((p) => p.first))
      const results = procs.map(
        (p) =>
          new Promise<number[]>((resolve) =>
            p.proc.once('message', (m) => resolve((m as { us: number[] }).us)),
          ),
      )
      for (const p of procs) p.proc.send('go')
      const all = (await Promise.all(results)).flat()
      for (const p of procs) p.proc.kill()
      rows.push(row(floorRowName({ kind: 'fsync', sync, writers, bytes: recordBytes }), all))
    }
  }
  return rows
}

async function commit(
  dir: string,
  rounds: number,
  recordBytes: number,
  sync: FloorSyncMode,
  burnUs: number,
): Promise<Row> {
  const follower = (): ReturnType<typeof start> => start({ role: 'follower', dir, sync, burnUs })
  const followers = [follower(), follower()]
  const ports = await Promise.all(followers.map(async (f) => (await f.first)['port'] as number))
  const leader = start({ role: 'leader', dir, sync, followers: ports, burnUs })
  const link = await dialWs((await leader.first)['port'] as number)
  const procs = [leader, ...followers]
  const pids = [process.pid, ...procs.map((p) => p.proc.pid)]
  const cpu = (): number[] => pids.map(processCpuMs)
  const before = cpu()
  const sleeps0 = pids.slice(1).map(processSleeps)
  const us = await roundTrips(rounds, wsExchange(link, Buffer.alloc(recordBytes, 4)))
  const after = cpu()
  const sleeps = pids.slice(1).map((p, i) => processSleeps(p) - (sleeps0[i] as number))
  link.terminate()
  for (const p of procs) p.proc.kill()
  // CPU µs per round (the warm-up's rounds included) of the client, the leader, the followers.
  const all = rounds + Math.min(500, rounds)
  const per = after.map((a, i) => Math.round(((a - (before[i] as number)) * 1000) / all))
  const [client = NaN, leaderCpu = NaN, ...followerCpu] = per
  console.error(
    `commit skeleton (fdatasync ${sync}): voluntary context switches per round, leader and followers: ${sleeps.map((n) => (n / all).toFixed(2)).join(' ')}`,
  )
  return row(
    floorRowName({
      kind: 'commit',
      sync,
      burnUs,
      cpuUsPerRound: { client, leader: leaderCpu, followers: followerCpu },
    }),
    us,
  )
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3000' },
      only: { type: 'string', default: 'rtt,fsync,commit' },
      'frame-bytes': { type: 'string', default: '200' },
      'record-bytes': { type: 'string', default: '220' },
      burn: { type: 'string', default: '0' },
      dir: { type: 'string', default: tmpdir() },
    },
  })
  const rounds = Number(values.rounds)
  const only = new Set(values.only.split(','))
  const dir = mkdtempSync(join(values.dir, 'latency-floor-'))
  const rows: Row[] = []
  try {
    if (only.has('rtt')) rows.push(...(await rtt(rounds, Number(values['frame-bytes']))))
    if (only.has('fsync')) rows.push(...(await fsyncs(dir, rounds, Number(values['record-bytes']))))
    if (only.has('commit'))
      for (const burnUs of values.burn.split(',').map(Number))
        for (const sync of ['pool', 'sync', 'zeroed'] as const)
          rows.push(await commit(dir, rounds, Number(values['record-bytes']), sync, burnUs))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const cpuIdle = describeCpuIdle()
  if (cpuIdle !== undefined) console.log(`\nidle CPUs: ${cpuIdle}`)
  console.log(
    '\n| measurement | n | p10 µs | p50 µs | p90 µs | p99 µs |\n|---|---:|---:|---:|---:|---:|',
  )
  for (const r of rows)
    console.log(`| ${r.name} | ${r.n} | ${r.p10} | ${r.p50} | ${r.p90} | ${r.p99} |`)
}

const at = process.argv.indexOf('--role')
if (at >= 0) void child(JSON.parse(process.argv[at + 1] as string) as Role)
else
  void main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e)
      process.exit(1)
    },
  )

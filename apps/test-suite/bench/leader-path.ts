/**
 * The leader's request path alone, for A/B comparisons of the HTTP and service code (issue 15):
 * one single-member node (it leads at once; MemoryStorage, so no disk and no replication;
 * snapshots at 4 MiB of log) with the HTTP API, in a child process running the built packages
 * (`dist`, like `raftkit serve`), driven by 64 closed-loop KvClients from this process. Per phase (put, then get): the
 * server's CPU time, heap bytes allocated and GCs per operation (gc-probe.cjs, as in
 * server-cost.ts). Fewer processes and no Raft messages or fsyncs than the cluster benches, so
 * a change to the request path shows with less noise; it says nothing about replication.
 * One JSON line per phase on stdout.
 *
 *   npx tsx --conditions=@raftkit/source bench/leader-path.ts [--seconds 4] [--warmup 2]
 *     [--clients 64] [--keys 1000] [--raftkit-protocol http|ws]
 *
 * --raftkit-protocol: the KvClients over HTTP (an HttpKvRpc each, the default) or over the
 * WebSocket RPC (one WsKvRpc, so one connection, shared by all of them).
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { MemoryStorage, Raft, SystemClock, createRng } from '@raftkit/raft-core'
import { createMemoryNetwork } from '@raftkit/transport-memory'
import { HttpKvRpc, KvClient, KvHttpServer, KvServer, WsKvRpc } from '@raftkit/kv-service'
import { measure, warmUp } from './closed-loop.js'
import { ClientIds, key, value } from './kv-workload.js'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '2' },
    clients: { type: 'string', default: '64' },
    keys: { type: 'string', default: '1000' },
    'raftkit-protocol': { type: 'string', default: 'http' },
    serve: { type: 'boolean', default: false },
  },
  // The child gets a positional 'serve' too: gc-probe.cjs reports only in processes that have it.
  allowPositionals: true,
})

/** The child: the node and its HTTP API; prints its address, runs until killed. */
async function serve(): Promise<void> {
  const clock = new SystemClock()
  const net = createMemoryNetwork({ seed: 1, clock })
  const storage = new MemoryStorage()
  const raft = await Raft.create({
    id: 'n1',
    peers: ['n1'],
    transport: net.endpoint('n1'),
    storage,
    clock,
    rng: createRng(7),
  })
  // Snapshots keep the log (in memory here) from growing through the run, as on a real node:
  // else the old generation grows and full GCs come more often the longer the run.
  const kv = KvServer.create({
    raft,
    clock,
    maxRaftState: 4 * 1024 * 1024,
    storageSize: () => storage.size(),
  })
  const addresses: Record<string, string> = {}
  const http = await KvHttpServer.start({
    kv,
    httpAddresses: addresses,
    maxKeyBytes: 1024,
    maxValueBytes: 65536,
  })
  addresses.n1 = http.address
  while (!raft.getState().isLeader) await sleep(10)
  console.log(http.address)
}

interface Probe {
  readonly allocated: number
  readonly gcs: number
  readonly gcUs: number
  readonly types: Readonly<Record<string, number>>
}

async function probe(pid: number, dir: string): Promise<Probe> {
  const file = join(dir, `${pid}.json`)
  await rm(file, { force: true })
  process.kill(pid, 'SIGUSR2')
  for (let i = 0; i < 500; i++) {
    try {
      return JSON.parse(await readFile(file, 'utf8')) as Probe
    } catch {
      await sleep(20)
    }
  }
  throw new Error('no probe answer')
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'raftkit-leader-path-'))
  const self = fileURLToPath(import.meta.url)
  const gcProbe = fileURLToPath(new URL('./gc-probe.cjs', import.meta.url))
  // Without the @raftkit/source condition: the child runs the built packages.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--require', gcProbe, self, '--serve', 'serve'],
    {
      env: { ...process.env, RAFTKIT_GC_PROBE_DIR: dir },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const protocol = values['raftkit-protocol']
  if (protocol !== 'http' && protocol !== 'ws') throw new RangeError('--raftkit-protocol: http|ws')
  const clients: Array<{ client: KvClient; rpc: HttpKvRpc | WsKvRpc }> = []
  let shared: WsKvRpc | undefined
  try {
    const address = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()))
      child.once('exit', (code) => reject(new Error(`the server exited (${String(code)})`)))
    })
    const pid = child.pid as number
    const clock = new SystemClock()
    const ids = new ClientIds()
    const keyCount = Number(values.keys)
    for (let i = 0; i < Number(values.clients); i++) {
      const { clientId, seed } = ids.next()
      if (protocol === 'ws') shared ??= new WsKvRpc({ endpoints: { n1: address } })
      const rpc = shared ?? new HttpKvRpc({ endpoints: { n1: address } })
      const client = new KvClient({
        servers: ['n1'],
        rpc,
        clock,
        rng: createRng(seed),
        clientId,
        deadlineMs: 30_000,
      })
      clients.push({ client, rpc })
    }
    for (let i = 0; i < keyCount; i += clients.length)
      await Promise.all(
        clients.map(async (c, j) => {
          if (i + j < keyCount) await c.client.put(key(i + j), value)
        }),
      )
    for (const op of ['put', 'get'] as const) {
      const workers = (seed: number): Array<() => Promise<unknown>> => {
        const rng = createRng(seed)
        return clients.map(({ client }) => () => {
          const k = key(rng.int(keyCount))
          return op === 'put' ? client.put(k, value) : client.get(k)
        })
      }
      await warmUp(workers(7), Number(values.warmup))
      const p0 = await probe(pid, dir)
      const m = await measure(workers(op === 'put' ? 1 : 2), Number(values.seconds), { n1: pid })
      const p1 = await probe(pid, dir)
      console.log(
        JSON.stringify({
          op,
          protocol,
          clients: clients.length,
          ops: m.ops,
          opsPerSec: m.opsPerSec,
          errors: m.errors,
          cpuUsPerOp: m.serverCpuUsPerOp,
          allocBytesPerOp: Math.round((p1.allocated - p0.allocated) / m.ops),
          gcsPer10k: Math.round(((p1.gcs - p0.gcs) * 100_000) / m.ops) / 10,
          gcMsPer10k: Math.round(((p1.gcUs - p0.gcUs) * 10) / m.ops) / 10,
          gcTypes: Object.fromEntries(
            Object.entries(p1.types).map(([t, n]) => [t, n - (p0.types[t] ?? 0)]),
          ),
          loadGenCpuUsPerOp: m.loadGenCpuUsPerOp,
          load1: Math.round((loadavg()[0] ?? 0) * 10) / 10,
        }),
      )
    }
  } finally {
    for (const c of clients) {
      c.client.close()
      c.rpc.close()
    }
    child.kill()
    await rm(dir, { recursive: true, force: true })
  }
}

if (values.serve) void serve()
else
  main().catch((e: unknown) => {
    console.error(e)
    process.exitCode = 1
  })

/**
 * In-process key/value throughput and latency: a 3-node cluster of KvServers
 * (transport-memory, MemoryStorage, reliable, real clock) with closed-loop clerks over
 * MemoryKvRpc at concurrency 1, 8 and 64. Each clerk issues one operation at a time: a phase
 * of puts (16-byte keys, 128-byte values), then a phase of gets (ReadIndex reads). Reports
 * operations/s and p50/p99 latency (hdr-histogram-js) per phase. Prints one JSON line per
 * row, then a table.
 *
 *   npx tsx --conditions=@raftkit/source bench/kv-throughput.ts [--seconds 3] [--concurrency 1,8,64]
 */
import { parseArgs } from 'node:util'
import { MemoryStorage, SystemClock, createRng } from '@raftkit/raft-core'
import { KvClient, KvServer, MemoryKvRpc } from '@raftkit/kv-service'
import { createMemoryNetwork } from '@raftkit/transport-memory'
import * as hdr from 'hdr-histogram-js'
import { ClientIds, key, loadFlags, value } from './kv-workload.js'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '1,8,64' },
    keys: { type: 'string', default: '10000' },
  },
})
const { seconds, levels, keyCount } = loadFlags(values)

interface Row {
  readonly bench: 'kv-throughput'
  readonly op: 'put' | 'get'
  readonly clients: number
  readonly opsPerSec: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly ops: number
}

async function startCluster(clock: SystemClock) {
  const ids = ['a', 'b', 'c']
  const network = createMemoryNetwork({ seed: 1, clock })
  const rpc = new MemoryKvRpc({ seed: 2, clock })
  const servers: KvServer[] = []
  for (const [i, id] of ids.entries()) {
    const server = await KvServer.start({
      id,
      peers: ids,
      transport: network.endpoint(id),
      storage: new MemoryStorage(),
      clock,
      rng: createRng(10 + i),
    })
    rpc.register(id, (request) => server.handle(request))
    servers.push(server)
  }
  return { ids, network, rpc, servers }
}

async function phase(
  clerks: readonly KvClient[],
  op: 'put' | 'get',
  clock: SystemClock,
): Promise<Row> {
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  })
  const rng = createRng(op === 'put' ? 1 : 2)
  let ops = 0
  const t0 = clock.now()
  const end = t0 + seconds * 1000
  await Promise.all(
    clerks.map(async (ck) => {
      while (clock.now() < end) {
        const k = key(rng.int(keyCount))
        const s = performance.now()
        if (op === 'put') await ck.put(k, value)
        else await ck.get(k)
        histogram.recordValue(Math.max(1, Math.round((performance.now() - s) * 1000)))
        ops++
      }
    }),
  )
  const elapsed = (clock.now() - t0) / 1000
  const row: Row = {
    bench: 'kv-throughput',
    op,
    clients: clerks.length,
    opsPerSec: Math.round(ops / elapsed),
    p50Ms: histogram.getValueAtPercentile(50) / 1000,
    p99Ms: histogram.getValueAtPercentile(99) / 1000,
    ops,
  }
  histogram.destroy()
  return row
}

async function main(): Promise<void> {
  const clock = new SystemClock()
  const { ids, network, rpc, servers } = await startCluster(clock)
  const rows: Row[] = []
  try {
    const clientIds = new ClientIds()
    const clerk = (): KvClient => {
      const { clientId, seed } = clientIds.next()
      return new KvClient({ servers: ids, rpc, clock, rng: createRng(seed), clientId })
    }
    const warm = clerk()
    await warm.put(key(0), value) // waits for a leader
    // Preload every key so that gets read 128-byte values.
    for (let i = 0; i < keyCount; i += 64)
      await Promise.all(
        Array.from({ length: 64 }, () => clerk()).map(async (ck, j) => {
          if (i + j < keyCount) await ck.put(key(i + j), value)
          ck.close()
        }),
      )
    warm.close()
    for (const n of levels) {
      const clerks = Array.from({ length: n }, () => clerk())
      for (const op of ['put', 'get'] as const) {
        const row = await phase(clerks, op, clock)
        rows.push(row)
        console.log(JSON.stringify(row))
      }
      for (const ck of clerks) ck.close()
    }
  } finally {
    for (const s of servers) await s.kill()
    await rpc.close()
    await network.close()
  }
  console.table(
    rows.map((r) => ({
      op: r.op,
      clients: r.clients,
      'ops/s': r.opsPerSec,
      'p50 ms': r.p50Ms,
      'p99 ms': r.p99Ms,
    })),
  )
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})

/**
 * The same closed-loop key/value workload as cluster-ws.ts (16-byte keys, 128-byte values,
 * --keys preloaded, a put phase then a get phase per concurrency, each after --warmup seconds),
 * against an etcd cluster on this machine: --nodes `etcd` processes on 127.0.0.1 with data
 * directories in a temporary folder (etcd's defaults: fsync on every commit, linearizable
 * reads). Every client talks to the leader: `--api grpc` (the default) over raw gRPC
 * (etcd-grpc.ts, what etcd's own clients use) multiplexed over --etcd-conns HTTP/2 connections
 * (default 1, as one clientv3 does; 0: one per client), `--api http` through etcd's HTTP/JSON
 * gateway (POST /v3/kv/put, /v3/kv/range; one keep-alive undici connection each). Prints one JSON line per row (the fields of cluster-ws.ts's rows; serverCpuUsPerOp is
 * summed over every member), then a table. Exits 2 when `etcd` is not on the PATH.
 *
 *   npx tsx --conditions=@raftkit/source bench/etcd.ts [--api grpc|http] [--nodes 3]
 *     [--seconds 5] [--warmup 5] [--concurrency 1,8,64] [--keys 1000] [--keep]
 *     [--etcd-conns 1]
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createRng } from '@raftkit/raft-core'
import { Client } from 'undici'
import { cpuUsPerOp, measure, warmUp, type ClientSet } from './closed-loop.js'
import {
  ETCD_INSTALL_HINT,
  etcdVersion,
  gatewayPost,
  startEtcdCluster,
  type EtcdCluster,
} from './etcd-cluster.js'
import { etcdClients, preloadEtcd } from './etcd-grpc.js'
import { key, loadFlags, value } from './kv-workload.js'

const { values } = parseArgs({
  options: {
    api: { type: 'string', default: 'grpc' },
    nodes: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1,8,64' },
    keys: { type: 'string', default: '1000' },
    keep: { type: 'boolean', default: false },
    'etcd-conns': { type: 'string', default: '1' },
  },
})
const { seconds, levels, keyCount } = loadFlags(values)
const nodeCount = Number(values.nodes)
const warmupSeconds = Number(values.warmup)
const api = values.api
if (api !== 'grpc' && api !== 'http') throw new RangeError('--api: grpc or http')
if (!(Number.isInteger(nodeCount) && nodeCount > 0)) throw new RangeError('--nodes: positive')
const etcdConns = Number(values['etcd-conns'])
if (!(Number.isInteger(etcdConns) && etcdConns >= 0))
  throw new RangeError('--etcd-conns: an integer >= 0 (0: one connection per client)')

const version = etcdVersion()
if (version === undefined) {
  console.error(ETCD_INSTALL_HINT)
  process.exit(2)
}

const b64 = (s: string): string => Buffer.from(s).toString('base64')

function grpcClients(cluster: EtcdCluster, n: number): ClientSet {
  return etcdClients(cluster.leaderAddress, n, keyCount, etcdConns)
}

function httpClients(cluster: EtcdCluster, n: number): ClientSet {
  const list = Array.from(
    { length: n },
    () => new Client(`http://${cluster.leaderAddress}`, { pipelining: 1 }),
  )
  return {
    workers: (op, seed) => {
      const rng = createRng(seed)
      return list.map((c) => () => {
        const k = b64(key(rng.int(keyCount)))
        return op === 'put'
          ? gatewayPost(c, '/v3/kv/put', { key: k, value: b64(value) })
          : gatewayPost(c, '/v3/kv/range', { key: k })
      })
    },
    close: async () => {
      await Promise.all(list.map((c) => c.close().catch(() => undefined)))
    },
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'raftkit-bench-etcd-'))
  let cluster: EtcdCluster | undefined
  const open: ClientSet[] = []
  try {
    cluster = await startEtcdCluster(dir, nodeCount)
    await preloadEtcd(cluster.leaderAddress, keyCount)
    const rows = []
    for (const n of levels) {
      const clients = (api === 'grpc' ? grpcClients : httpClients)(cluster, n)
      open.push(clients)
      for (const op of ['put', 'get'] as const) {
        await warmUp(clients.workers(op, 3), warmupSeconds)
        const m = await measure(clients.workers(op, op === 'put' ? 1 : 2), seconds, cluster.pids())
        const row = {
          bench: 'etcd',
          etcdVersion: version,
          api,
          op,
          clients: n,
          opsPerSec: m.opsPerSec,
          p50Us: m.p50Us,
          p99Us: m.p99Us,
          ops: m.ops,
          errors: m.errors,
          loadGenCpu: m.loadGenCpu,
          leaderCpuUsPerOp: cpuUsPerOp(m, cluster.leaderName),
          serverCpuUsPerOp: m.serverCpuUsPerOp,
        }
        rows.push(row)
        console.log(JSON.stringify(row))
      }
      await clients.close()
      open.pop()
    }
    console.table(rows.map(({ bench: _b, etcdVersion: _v, ...r }) => r))
  } finally {
    for (const c of open) await c.close()
    await cluster?.stop()
    if (values.keep) console.error(`kept ${dir}`)
    else await rm(dir, { recursive: true, force: true })
  }
}

await main()

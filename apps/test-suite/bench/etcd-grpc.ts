/**
 * A minimal etcd v3 client over raw gRPC (@grpc/grpc-js, with the messages of etcd-kv.proto
 * loaded by @grpc/proto-loader): Put, and Range of one key as a linearizable read (etcd's
 * default, `serializable` false: the leader confirms its leadership with ReadIndex). What
 * etcd's own Go client sends for `etcdctl put` / `etcdctl get`, without the retries, leases and
 * watches. Each EtcdKv has its own HTTP/2 connection (a local subchannel pool); concurrent
 * calls on one are multiplexed.
 */
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import { loadSync } from '@grpc/proto-loader'
import { createRng } from '@raftkit/raft-core'
import type { ClientSet, Worker } from './closed-loop.js'
import { key, value } from './kv-workload.js'

interface KvStub extends grpc.Client {
  Put(
    req: { key: Buffer; value: Buffer },
    cb: (err: grpc.ServiceError | null, res?: unknown) => void,
  ): grpc.ClientUnaryCall
  Range(
    req: { key: Buffer },
    cb: (err: grpc.ServiceError | null, res?: { kvs?: { value: Buffer }[] }) => void,
  ): grpc.ClientUnaryCall
}

type KvConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => KvStub

let kvConstructor: KvConstructor | undefined

function kvService(): KvConstructor {
  if (!kvConstructor) {
    const definition = loadSync(fileURLToPath(new URL('./etcd-kv.proto', import.meta.url)), {
      keepCase: true,
      longs: String,
      defaults: false,
    })
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      etcdserverpb: { KV: KvConstructor }
    }
    kvConstructor = pkg.etcdserverpb.KV
  }
  return kvConstructor
}

export class EtcdKv {
  private readonly stub: KvStub

  /** `address`: host:port of a member's client URL (plain text, no TLS). */
  constructor(address: string) {
    const Kv = kvService()
    this.stub = new Kv(address, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
    })
  }

  put(key: string, value: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stub.Put({ key: Buffer.from(key), value: Buffer.from(value) }, (err) =>
        err ? reject(err) : resolve(),
      )
    })
  }

  /** The key's value (a linearizable read), or undefined when it has none. */
  get(key: string): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      this.stub.Range({ key: Buffer.from(key) }, (err, res) =>
        err ? reject(err) : resolve(res?.kvs?.[0]?.value),
      )
    })
  }

  close(): void {
    this.stub.close()
  }
}

/** Each client's next operation of the workload: `op` on a random key of `keyCount`. */
function etcdWorkers(
  clients: readonly EtcdKv[],
  op: 'put' | 'get',
  keyCount: number,
  seed: number,
): Worker[] {
  const rng = createRng(seed)
  return clients.map((c) => () => {
    const k = key(rng.int(keyCount))
    return op === 'put' ? c.put(k, value) : c.get(k)
  })
}

/** Writes every key 0..count-1 (128-byte values) through 64 clients at a time. */
export async function preloadEtcd(address: string, count: number): Promise<void> {
  const loaders = Array.from({ length: 64 }, () => new EtcdKv(address))
  try {
    for (let i = 0; i < count; i += loaders.length)
      await Promise.all(
        loaders.map(async (c, j) => {
          if (i + j < count) await c.put(key(i + j), value)
        }),
      )
  } finally {
    for (const c of loaders) c.close()
  }
}

/**
 * n gRPC clients of the member at `address` over `connections` HTTP/2 connections (client i
 * uses connection i mod connections; 0 or more than n: one each). One connection multiplexed
 * by every client is what one etcd clientv3 does and etcd's own benchmark tool's default
 * (`--conns 1`). Their workers for one phase, and how to close them.
 */
export function etcdClients(
  address: string,
  n: number,
  keyCount: number,
  connections: number,
): ClientSet {
  const count = connections <= 0 || connections > n ? n : connections
  const conns = Array.from({ length: count }, () => new EtcdKv(address))
  const list = Array.from({ length: n }, (_, i) => conns[i % count] as EtcdKv)
  return {
    workers: (op, seed) => etcdWorkers(list, op, keyCount, seed),
    close: async () => conns.forEach((c) => c.close()),
  }
}

/**
 * The bench's etcd gRPC client (bench/etcd-grpc.ts) against an in-process gRPC server that
 * serves etcd's KV service from the same message definitions: a put sends the key and value
 * bytes, a get is a Range of exactly that key with `serializable` false (a linearizable read,
 * which etcd serves only after the leader confirms its leadership) and returns the value.
 */
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import { loadSync } from '@grpc/proto-loader'
import { expect } from 'chai'
import { EtcdKv } from '../../bench/etcd-grpc.js'

interface Call {
  readonly method: string
  readonly request: Record<string, unknown>
}

type Handler = (
  call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>,
  cb: grpc.sendUnaryData<unknown>,
) => void

describe('bench etcd gRPC client', () => {
  let server: grpc.Server
  let address: string
  const calls: Call[] = []
  const stored = new Map<string, Buffer>()

  before(async () => {
    const proto = fileURLToPath(new URL('../../bench/etcd-kv.proto', import.meta.url))
    // defaults: true so that an unset `serializable` shows as false, as etcd reads it.
    const def = loadSync(proto, { keepCase: true, longs: String, defaults: true })
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      etcdserverpb: { KV: { service: grpc.ServiceDefinition } }
    }
    const put: Handler = (call, cb) => {
      calls.push({ method: 'Put', request: call.request })
      stored.set(String(call.request.key), call.request.value as Buffer)
      cb(null, { header: { revision: '1' } })
    }
    const range: Handler = (call, cb) => {
      calls.push({ method: 'Range', request: call.request })
      const v = stored.get(String(call.request.key))
      cb(null, { kvs: v ? [{ key: call.request.key, value: v }] : [], count: v ? '1' : '0' })
    }
    server = new grpc.Server()
    server.addService(pkg.etcdserverpb.KV.service, { Put: put, Range: range })
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    )
    address = `127.0.0.1:${port}`
  })

  after(() => server.forceShutdown())

  it('puts the key and value bytes and reads them back with a linearizable Range', async () => {
    const kv = new EtcdKv(address)
    try {
      await kv.put('k000000000000001', 'v'.repeat(128))
      const got = await kv.get('k000000000000001')
      expect(got?.toString()).to.equal('v'.repeat(128))
      expect(await kv.get('absent')).to.equal(undefined)
    } finally {
      kv.close()
    }
    const [p, r] = calls
    expect(p?.method).to.equal('Put')
    expect(String(p?.request.key)).to.equal('k000000000000001')
    expect(String(p?.request.value)).to.equal('v'.repeat(128))
    expect(r?.method).to.equal('Range')
    expect(String(r?.request.key)).to.equal('k000000000000001')
    expect(r?.request.serializable).to.equal(false)
    expect((r?.request.range_end as Buffer).length).to.equal(0)
  })
})

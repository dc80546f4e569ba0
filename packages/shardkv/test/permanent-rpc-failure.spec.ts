/**
 * Failures retrying does not fix — a node that refuses the cluster secret, a TLS setup that
 * cannot work (a certificate from another CA, a node that does not speak TLS) — stop the clerks
 * with that typed error instead of retrying until their deadline; a cluster where some replica
 * still answers is used as before.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import type { Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SimulatedClock } from '@raftkit/raft-core'
import { TlsError, generateCertificates } from '@raftkit/kv-service'
import { expect } from 'chai'
import {
  CtrlerClient,
  HttpShardRpc,
  RpcLostError,
  ShardKvClient,
  ShardRpcAuthError,
} from '../src/index.js'
import type { ShardRpc } from '../src/index.js'

const SECRET = 'a-secret-of-enough-length'

/** A ShardRpc whose endpoints fail with the given error or answer with the given reply. */
function scriptedRpc(answers: Record<string, unknown>): ShardRpc & { calls: number } {
  const rpc = {
    calls: 0,
    call(_from: string, to: string): Promise<unknown> {
      rpc.calls++
      const a = answers[to] ?? new RpcLostError(to, 'unknown')
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a)
    },
  }
  return rpc
}

const CONFIG = { num: 1, shards: Array(10).fill(100), groups: [[100, ['g100@n1', 'g100@n2']]] }

describe('clerks stop on failures retrying does not fix', () => {
  it('CtrlerClient.query rejects with ShardRpcAuthError when every replica refuses the secret', async () => {
    const clock = new SimulatedClock()
    const rpc = scriptedRpc({
      'ctrler@n1': new ShardRpcAuthError('ctrler@n1'),
      'ctrler@n2': new ShardRpcAuthError('ctrler@n2'),
    })
    const clerk = new CtrlerClient({ rpc, servers: ['ctrler@n1', 'ctrler@n2'], clock, name: 'c' })
    let error: unknown
    await clock.run(() => clerk.query(-1).catch((e: unknown) => (error = e)), 60_000)
    expect(error).to.be.instanceOf(ShardRpcAuthError)
    expect(rpc.calls).to.equal(2) // one round, no retries
  })

  it('CtrlerClient keeps retrying while any replica fails otherwise, and uses the one that answers', async () => {
    const clock = new SimulatedClock()
    const rpc = scriptedRpc({
      'ctrler@n1': new ShardRpcAuthError('ctrler@n1'),
      'ctrler@n2': { ok: true, config: CONFIG },
    })
    const clerk = new CtrlerClient({ rpc, servers: ['ctrler@n1', 'ctrler@n2'], clock, name: 'c' })
    const config = await clock.run(() => clerk.query(-1), 60_000)
    expect(config).to.deep.equal(CONFIG)
  })

  it("ShardKvClient.get rejects with the TlsError when every server of the key's group fails the TLS setup", async () => {
    const clock = new SimulatedClock()
    const tls = (to: string) => new TlsError(to, 'SELF_SIGNED_CERT_IN_CHAIN', 'not trusted')
    const rpc = scriptedRpc({
      'ctrler@n1': { ok: true, config: CONFIG },
      'g100@n1': tls('g100@n1'),
      'g100@n2': tls('g100@n2'),
    })
    const client = new ShardKvClient({ rpc, ctrlers: ['ctrler@n1'], clock, name: 'k' })
    let error: unknown
    await clock.run(() => client.get('a').catch((e: unknown) => (error = e)), 60_000)
    expect(error).to.be.instanceOf(TlsError)
    client.close()
  })
})

describe('HttpShardRpc over TLS', function () {
  this.timeout(30_000)
  let dir: string
  let server: Server
  let address: string
  let ourCaFile: string

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shard-tls-'))
    const ours = await generateCertificates({ dir: join(dir, 'ours'), nodeIds: ['n1'] })
    const theirs = await generateCertificates({ dir: join(dir, 'theirs'), nodeIds: ['n1'] })
    const cert = theirs.nodes.get('n1')!
    // A node whose certificate another CA signed.
    server = createHttpsServer(
      { cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) },
      (_req, res) => res.writeHead(404).end(),
    )
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`
    ourCaFile = ours.caFile
  })
  after(async () => {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
    rmSync(dir, { recursive: true, force: true })
  })

  it('a node whose certificate the cluster CA did not sign fails the call with TlsError, not RpcLostError', async () => {
    const ca = readFileSync(ourCaFile)
    const rpc = new HttpShardRpc({ addresses: { n1: address }, secret: SECRET, tls: { ca } })
    let error: unknown
    await rpc.call('me', 'g1@n1', { x: 1 }, 5000).catch((e: unknown) => (error = e))
    rpc.close()
    expect(error).to.be.instanceOf(TlsError)
    expect((error as TlsError).message).to.match(/not trusted/)
  })
})

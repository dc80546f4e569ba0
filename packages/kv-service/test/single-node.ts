/**
 * One in-process node (a single-member Raft cluster: it elects itself at once) with the HTTP
 * API on 127.0.0.1 at a port chosen at run time, for tests of the HTTP layer that need a
 * leader but no replication.
 */
import { MemoryStorage, Raft, SystemClock, createRng } from '@raftkit/raft-core'
import { createMemoryNetwork } from '@raftkit/transport-memory'
import type { MemoryNetwork } from '@raftkit/transport-memory'
import { KvHttpServer } from '../src/http/server.js'
import type { KvHttpServerOptions } from '../src/http/server.js'
import { KvServer } from '../src/server.js'
import type { KvServerOptions } from '../src/server.js'
import { call } from './http-helpers.js'
import type { Answer } from './http-helpers.js'

export class SingleNode {
  private constructor(
    readonly raft: Raft,
    readonly kv: KvServer,
    readonly http: KvHttpServer,
    private readonly net: MemoryNetwork,
  ) {}

  static async start(
    options: {
      kv?: Partial<Omit<KvServerOptions, 'raft' | 'clock'>>
      http?: Partial<Omit<KvHttpServerOptions, 'kv' | 'raft' | 'httpAddresses'>>
    } = {},
  ): Promise<SingleNode> {
    const clock = new SystemClock()
    const net = createMemoryNetwork({ seed: 1, clock })
    const raft = await Raft.create({
      id: 'n1',
      peers: ['n1'],
      transport: net.endpoint('n1'),
      storage: new MemoryStorage(),
      clock,
      rng: createRng(7),
      config: {
        tickMs: 10,
        heartbeatIntervalMs: 30,
        electionTimeoutMinMs: 100,
        electionTimeoutMaxMs: 200,
      },
    })
    const kv = KvServer.create({ raft, clock, requestTimeoutMs: 2000, ...options.kv })
    const addresses: Record<string, string> = {}
    const http = await KvHttpServer.start({
      kv,
      httpAddresses: addresses,
      maxKeyBytes: 64,
      maxValueBytes: 1024,
      ...options.http,
    })
    addresses.n1 = http.address
    const node = new SingleNode(raft, kv, http, net)
    const deadline = Date.now() + 10_000
    while (!raft.getState().isLeader) {
      if (Date.now() > deadline) throw new Error('the single node did not elect itself')
      await new Promise((r) => setTimeout(r, 10))
    }
    return node
  }

  url(path: string): string {
    return `http://${this.http.address}${path}`
  }

  /** POST /v1/sessions; the issued client id. */
  async openSession(): Promise<string> {
    const r = await call(this.url('/v1/sessions'), { method: 'POST' })
    if (r.status !== 201) throw new Error(`open session: HTTP ${r.status} ${r.body}`)
    return (JSON.parse(r.body) as { clientId: string }).clientId
  }

  write(
    op: 'put' | 'append',
    key: string,
    body: string | Buffer,
    session?: { clientId: string; seq: number },
  ): Promise<Answer> {
    return call(this.url(`/v1/kv/${encodeURIComponent(key)}${op === 'append' ? '/append' : ''}`), {
      method: op === 'put' ? 'PUT' : 'POST',
      body,
      ...(session
        ? {
            headers: {
              'raftkit-client-id': session.clientId,
              'raftkit-request-seq': String(session.seq),
            },
          }
        : {}),
    })
  }

  async stop(): Promise<void> {
    this.http.stopAccepting()
    await this.kv.kill()
    await this.http.close()
    await this.net.close()
  }
}

/**
 * An in-process 3-node cluster with the HTTP API on 127.0.0.1 (ports chosen at run time): Raft
 * over transport-memory, MemoryStorage, the real clock. And a tiny HTTP client (no keep-alive,
 * redirects not followed).
 */
import { request } from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import { MemoryStorage, Raft, SystemClock, createRng } from '@raftkit/raft-core'
import { createMemoryNetwork } from '@raftkit/transport-memory'
import type { MemoryNetwork } from '@raftkit/transport-memory'
import { KvServer } from '../src/server.js'
import { KvHttpServer } from '../src/http/server.js'
import type { TransportFaultControls } from '../src/http/server.js'

export const TEST_SECRET = 'test-secret-0123456789'

export interface Answer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
  /** The body's bytes as received. */
  readonly bytes: Buffer
}

export function call(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body)
    const req = request(url, {
      method: options.method ?? 'GET',
      agent: false,
      headers: {
        ...options.headers,
        ...(body ? { 'content-length': String(body.length) } : {}),
      },
    })
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${url}`)))
    req.once('error', reject)
    req.once('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.once('error', reject)
      res.once('end', () => {
        const bytes = Buffer.concat(chunks)
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: bytes.toString('utf8'),
          bytes,
        })
      })
    })
    req.end(body)
  })
}

/** Records fault calls instead of driving a real transport. */
export class RecordingFaults implements TransportFaultControls {
  readonly calls: string[] = []
  blocked: string[] = []
  block(peers: readonly string[]): void {
    this.calls.push(`block ${peers.join(',')}`)
    this.blocked.push(...peers)
  }
  unblock(peers: readonly string[]): void {
    this.calls.push(`unblock ${peers.join(',')}`)
    this.blocked = this.blocked.filter((p) => !peers.includes(p))
  }
  setDropProbability(p: number): void {
    this.calls.push(`drop ${p}`)
  }
  setDelay(min: number, max: number): void {
    this.calls.push(`delay ${min}-${max}`)
  }
  isolate(): void {
    this.calls.push('isolate')
  }
  heal(): void {
    this.calls.push('heal')
    this.blocked = []
  }
  state(): { blocked: readonly string[] } {
    return { blocked: [...this.blocked] }
  }
}

export class HttpTestCluster {
  readonly ids = ['n1', 'n2', 'n3']
  readonly clock = new SystemClock()
  readonly net: MemoryNetwork
  readonly rafts = new Map<string, Raft>()
  readonly kvs = new Map<string, KvServer>()
  readonly https = new Map<string, KvHttpServer>()
  readonly faults = new Map<string, RecordingFaults>()
  readonly addresses: Record<string, string> = {}

  constructor(private readonly limits = { maxKeyBytes: 64, maxValueBytes: 1024 }) {
    this.net = createMemoryNetwork({ seed: 11, clock: this.clock })
  }

  async start(): Promise<void> {
    for (const [i, id] of this.ids.entries()) {
      const raft = await Raft.create({
        id,
        peers: this.ids,
        transport: this.net.endpoint(id),
        storage: new MemoryStorage(),
        clock: this.clock,
        rng: createRng(100 + i),
        config: {
          tickMs: 10,
          heartbeatIntervalMs: 30,
          electionTimeoutMinMs: 150,
          electionTimeoutMaxMs: 300,
        },
      })
      const kv = KvServer.create({ raft, clock: this.clock, requestTimeoutMs: 1000 })
      const faults = new RecordingFaults()
      const http = await KvHttpServer.start({
        kv,
        httpAddresses: this.addresses, // filled in below; read at request time
        ...this.limits,
        secret: TEST_SECRET,
        faults,
      })
      this.addresses[id] = http.address
      this.rafts.set(id, raft)
      this.kvs.set(id, kv)
      this.https.set(id, http)
      this.faults.set(id, faults)
    }
  }

  url(id: string, path: string): string {
    return `http://${this.addresses[id]}${path}`
  }

  /** Waits (bounded) until exactly one live node leads; returns it. */
  async leader(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const leaders = this.ids.filter((id) => this.rafts.get(id)?.getState().isLeader)
      if (leaders.length === 1) return leaders[0]!
      await new Promise((r) => setTimeout(r, 20))
    }
    throw new Error('no leader elected')
  }

  follower(leader: string): string {
    return this.ids.find((id) => id !== leader)!
  }

  async stop(): Promise<void> {
    for (const id of this.ids) {
      this.https.get(id)?.stopAccepting()
      await this.kvs.get(id)?.kill()
      await this.https.get(id)?.close()
    }
    await this.net.close()
  }
}

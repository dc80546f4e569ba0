/**
 * Prometheus metrics of one node, in a registry of its own (never prom-client's global one, so
 * several nodes can live in one process). Raft gauges are read from `status()` at scrape time.
 */
import type { Role, Status } from '@raftkit/raft-core'
import { Counter, Gauge, Registry } from 'prom-client'
import { RequestMetrics } from './request-metrics.js'

const ROLES: readonly Role[] = ['follower', 'pre-candidate', 'candidate', 'leader']

/** Running totals of the peer transport (e.g. transport-ws `stats()`). */
export interface TransportCounters {
  readonly sent: number
  readonly received: number
  readonly bytesSent: number
  readonly bytesReceived: number
  readonly dropped: number
}

/** Running totals of the log storage (e.g. storage-fs `stats()`). */
export interface StorageCounters {
  /** Batches written. */
  readonly writes: number
  /** Groups flushed (one write system call each). */
  readonly groups: number
  /** fdatasync calls. */
  readonly syncs: number
  /** Of those, the ones run on the main thread (storage-fs `inlineSync`); absent: none. */
  readonly inlineSyncs?: number
}

export interface NodeMetricsSource {
  /** The Raft status; undefined (or a throw) once the node is stopped. */
  status(): Status | undefined
  /** Keys and sessions in the state machine. */
  readonly kv?: () => { keys: number; sessions: number }
  readonly transport?: () => TransportCounters
  readonly storage?: () => StorageCounters
}

export class NodeMetrics {
  readonly registry = new Registry()
  /** raftkit_http_requests_total and raftkit_http_request_duration_seconds. */
  private readonly requests: RequestMetrics

  constructor(source: NodeMetricsSource, labels: Record<string, string> = {}) {
    this.registry.setDefaultLabels(labels)
    const status = (): Status | undefined => {
      try {
        return source.status()
      } catch {
        return undefined // a killed node: report nothing rather than fail the scrape
      }
    }
    const gauge = (name: string, help: string, read: (s: Status) => number): void => {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const s = status()
          if (s) this.set(read(s))
        },
      })
    }
    gauge('raftkit_raft_term', 'Current Raft term.', (s) => s.term)
    gauge(
      'raftkit_raft_commit_index',
      'Highest log index known to be committed.',
      (s) => s.commitIndex,
    )
    gauge(
      'raftkit_raft_applied_index',
      'Highest log index applied to the service.',
      (s) => s.appliedIndex,
    )
    gauge('raftkit_raft_first_index', 'First index still in the log.', (s) => s.firstIndex)
    gauge('raftkit_raft_last_index', 'Last index in the log.', (s) => s.lastIndex)
    gauge(
      'raftkit_raft_snapshot_index',
      'Index covered by the latest snapshot.',
      (s) => s.snapshotIndex,
    )
    gauge('raftkit_raft_is_leader', '1 while this node is the leader.', (s) =>
      s.role === 'leader' ? 1 : 0,
    )
    new Gauge({
      name: 'raftkit_raft_role',
      help: 'Current role: 1 for the role this node has, 0 for the others.',
      labelNames: ['role'],
      registers: [this.registry],
      collect() {
        const s = status()
        if (!s) return
        for (const role of ROLES) this.set({ role }, s.role === role ? 1 : 0)
      },
    })
    new Gauge({
      name: 'raftkit_raft_peer_match_index',
      help: 'On the leader: highest index known replicated on each peer.',
      labelNames: ['peer'],
      registers: [this.registry],
      collect() {
        this.reset()
        const s = status()
        for (const [peer, p] of Object.entries(s?.progress ?? {})) this.set({ peer }, p.match)
      },
    })
    if (source.kv) {
      const kv = source.kv
      new Gauge({
        name: 'raftkit_kv_keys',
        help: 'Keys in the key/value state machine.',
        registers: [this.registry],
        collect() {
          this.set(kv().keys)
        },
      })
      new Gauge({
        name: 'raftkit_kv_sessions',
        help: 'Client sessions in the key/value state machine.',
        registers: [this.registry],
        collect() {
          this.set(kv().sessions)
        },
      })
    }
    const total = (name: string, help: string, read: () => number): void => {
      let reported = 0
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          // A running total read at scrape time: move the counter up to it.
          const now = read()
          if (now > reported) this.inc(now - reported)
          reported = Math.max(reported, now)
        },
      })
    }
    const { transport, storage } = source
    if (transport) {
      total(
        'raftkit_transport_messages_sent_total',
        'Raft messages written to peers.',
        () => transport().sent,
      )
      total(
        'raftkit_transport_messages_received_total',
        'Raft messages received from peers.',
        () => transport().received,
      )
      total(
        'raftkit_transport_bytes_sent_total',
        'Bytes of Raft messages written to peers.',
        () => transport().bytesSent,
      )
      total(
        'raftkit_transport_bytes_received_total',
        'Bytes of Raft messages received.',
        () => transport().bytesReceived,
      )
      total(
        'raftkit_transport_messages_dropped_total',
        'Raft messages discarded (faults, full queues, oversize).',
        () => transport().dropped,
      )
    }
    if (storage) {
      total(
        'raftkit_storage_batches_total',
        'Batches written to the log storage.',
        () => storage().writes,
      )
      total(
        'raftkit_storage_flushes_total',
        'Groups of batches flushed with one write call.',
        () => storage().groups,
      )
      total('raftkit_storage_syncs_total', 'fdatasync calls on the log.', () => storage().syncs)
      total(
        'raftkit_storage_inline_syncs_total',
        'fdatasync calls on the log run on the main thread rather than the thread pool.',
        () => storage().inlineSyncs ?? 0,
      )
    }
    this.requests = new RequestMetrics(this.registry)
  }

  /** Counts one answered HTTP request (request-metrics.ts). */
  observe(op: string, status: number, seconds: number): void {
    this.requests.observe(op, status, seconds)
  }

  metrics(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}

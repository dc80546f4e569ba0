/**
 * Prometheus metrics of one node, in a registry of its own (never prom-client's global one, so
 * several nodes can live in one process). Raft gauges are read from `status()` at scrape time.
 */
import type { Role, Status } from '@raftkit/raft-core'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'

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
  private readonly requests: Counter<'op' | 'status'>
  private readonly latency: Histogram<'op' | 'status'>
  /** The label set of each (op, status) seen, made once (a handful: ops × status codes). */
  private readonly labelSets = new Map<string, Map<number, { op: string; status: string }>>()

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
    }
    this.requests = new Counter({
      name: 'raftkit_http_requests_total',
      help: 'HTTP requests answered, by operation and status code.',
      labelNames: ['op', 'status'],
      registers: [this.registry],
    })
    this.latency = new Histogram({
      name: 'raftkit_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by operation and status code.',
      labelNames: ['op', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    })
  }

  observe(op: string, status: number, seconds: number): void {
    let byStatus = this.labelSets.get(op)
    if (byStatus === undefined) {
      byStatus = new Map()
      this.labelSets.set(op, byStatus)
    }
    let labels = byStatus.get(status)
    if (labels === undefined) {
      labels = { op, status: String(status) }
      byStatus.set(status, labels)
    }
    this.requests.inc(labels)
    this.latency.observe(labels, seconds)
  }

  metrics(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}

/**
 * What KvHttpServer (server.ts) is started with, and the check of it that start() runs before
 * anything listens: the key and value bounds must be positive integers and the HTTP limits
 * consistent (limits.ts).
 */
import type { Logger, NodeId } from '@raftkit/raft-core'
import type { KvServer } from '../server.js'
import type { TransportFaultControls } from './faults.js'
import type { HttpLimits } from './limits.js'
import { DEFAULT_HTTP_LIMITS, checkHttpLimits } from './limits.js'
import type { MembersAdminOptions } from './members.js'
import type { NodeMetricsSource } from './metrics.js'

export interface KvHttpServerOptions {
  readonly kv: KvServer
  /** HTTP address ("host:port") of every node, for redirects to the leader. */
  readonly httpAddresses: Readonly<Record<NodeId, string>>
  readonly maxKeyBytes: number
  readonly maxValueBytes: number
  /** Interface and port to listen on; port 0 picks a free port. Default 127.0.0.1:0. */
  readonly host?: string
  readonly port?: number
  /** Enables POST /v1/admin/faults, authenticated by this secret. */
  readonly secret?: string
  readonly faults?: TransportFaultControls
  /** Enables the membership admin endpoints (with `secret`). */
  readonly members?: Pick<MembersAdminOptions, 'raft' | 'kv' | 'directory' | 'catchUpTimeoutMs'>
  /** Counters of the peer transport and the log storage, for /metrics. */
  readonly counters?: Pick<NodeMetricsSource, 'transport' | 'storage'>
  readonly logger?: Logger
  /**
   * Serve HTTPS with this PEM certificate (chain) and key. Every node of a cluster serves the
   * same scheme: redirects to the leader use https:// when this is set.
   */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer }
  /** Connection, timeout and body-memory bounds; each missing field takes its default. */
  readonly limits?: Partial<HttpLimits>
}

/** Throws a RangeError for a bound that is not a positive integer or inconsistent limits. */
export function checkServerOptions(options: KvHttpServerOptions): void {
  for (const field of ['maxKeyBytes', 'maxValueBytes'] as const)
    if (!(Number.isSafeInteger(options[field]) && options[field] > 0))
      throw new RangeError(`${field} must be a positive integer`)
  checkHttpLimits({ ...DEFAULT_HTTP_LIMITS, ...options.limits })
}

/**
 * The admin endpoints of one node's HTTP API, all authenticated by the cluster secret and
 * built once per KvHttpServer (server.ts routes to them): fault injection on the peer
 * transport (faults.ts; with `faults`), membership changes and leadership transfer
 * (members.ts; with `members`) and backups (backup.ts). Without a secret there are none.
 */
import type { IncomingMessage } from 'node:http'
import type { Logger, NodeId } from '@raftkit/raft-core'
import { BackupAdmin } from './backup.js'
import { FaultAdmin } from './faults.js'
import type { HttpError, ReadBodyOptions } from './io.js'
import { MembersAdmin } from './members.js'
import type { KvHttpServerOptions } from './server-options.js'

export interface AdminEndpoints {
  readonly faults: FaultAdmin | undefined
  readonly members: MembersAdmin | undefined
  readonly backup: BackupAdmin | undefined
}

export interface AdminContext {
  /** This node's id ('' once stopped). */
  readonly self: () => string
  /** The 307 to the leader (or 503 when none is known), as the KV endpoints answer it. */
  readonly redirect: (req: IncomingMessage, leader: NodeId | null) => HttpError
  readonly logger: Logger
  readonly bodyLimits: Pick<ReadBodyOptions, 'budget' | 'timeoutMs'>
}

export function adminEndpoints(options: KvHttpServerOptions, ctx: AdminContext): AdminEndpoints {
  const { secret } = options
  if (secret === undefined) return { faults: undefined, members: undefined, backup: undefined }
  const { redirect, logger, bodyLimits } = ctx
  return {
    faults:
      options.faults === undefined
        ? undefined
        : new FaultAdmin({
            secret,
            faults: options.faults,
            self: ctx.self,
            members: () => Object.keys(options.httpAddresses),
            logger,
            bodyLimits,
          }),
    members:
      options.members === undefined
        ? undefined
        : new MembersAdmin({ ...options.members, secret, redirect, logger, bodyLimits }),
    backup: new BackupAdmin({ kv: options.kv, secret, redirect, logger }),
  }
}

/**
 * One shard controller replica: a Replica of CtrlerStateMachine that answers CtrlerRequests.
 * Every request (Query included) goes through the log; the reply is sent once the entry has
 * been applied on this replica. Network-agnostic: install `handle` on any ShardRpc endpoint.
 */
import type { Clock, Logger, StorageSize } from '@raftkit/raft-core'
import type { ReplicaRaft } from '../replica.js'
import { Replica } from '../replica.js'
import type { CtrlerReply } from './commands.js'
import { BadCtrlerRequest, encodeCtrlerCommand, validateCtrlerCommand } from './commands.js'
import type { CtrlerResult } from './state-machine.js'
import { CtrlerStateMachine } from './state-machine.js'

export interface ShardCtrlerServerOptions {
  readonly raft: ReplicaRaft
  readonly clock: Clock
  /** @default -1 (no snapshots) */
  readonly maxRaftState?: number
  readonly storageSize: () => StorageSize
  readonly logger?: Logger
}

export class ShardCtrlerServer {
  readonly stateMachine = new CtrlerStateMachine()
  private readonly replica: Replica<CtrlerResult>

  constructor(options: ShardCtrlerServerOptions) {
    this.replica = new Replica({
      raft: options.raft,
      stateMachine: this.stateMachine,
      clock: options.clock,
      maxRaftState: options.maxRaftState ?? -1,
      storageSize: options.storageSize,
      ...(options.logger ? { logger: options.logger } : {}),
    })
  }

  isLeader(): boolean {
    return this.replica.isLeader()
  }

  async handle(raw: unknown): Promise<CtrlerReply> {
    let cmd
    try {
      cmd = validateCtrlerCommand(raw)
    } catch (e) {
      if (e instanceof BadCtrlerRequest)
        return { ok: false, error: 'BAD_REQUEST', message: e.message }
      throw e
    }
    const outcome = await this.replica.submit(encodeCtrlerCommand(cmd))
    if (!outcome.ok) return { ok: false, error: outcome.error }
    const r = outcome.result
    switch (r.status) {
      case 'ok':
        return { ok: true, config: r.config }
      case 'conflict':
        return { ok: false, error: 'CONFLICT', message: r.message }
      case 'unknown-group':
        return { ok: false, error: 'UNKNOWN_GROUP', message: r.message }
      case 'malformed':
        return { ok: false, error: 'BAD_REQUEST', message: r.message }
    }
  }

  kill(): Promise<void> {
    return this.replica.kill()
  }
}

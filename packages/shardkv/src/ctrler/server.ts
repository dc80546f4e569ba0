/**
 * One shard controller replica: a Replica of CtrlerStateMachine that answers CtrlerRequests.
 * Join/Leave/Move go through the log (at-most-once by client id + seq); the reply is sent once
 * the entry has been applied on this replica. Query is a linearizable read without a log entry
 * (ReadIndex: the leader confirms with a heartbeat round that it still leads, then answers from
 * its state once it has applied the commit index of that moment), so the groups' polling adds
 * nothing to the controller's log. Network-agnostic: install `handle` on any ShardRpc endpoint.
 */
import type { Clock, Logger, StorageSize } from '@raftkit/raft-core'
import type { ReadableReplicaRaft } from '../replica.js'
import { Replica } from '../replica.js'
import type { CtrlerReply } from './commands.js'
import { BadCtrlerRequest, encodeCtrlerCommand, validateCtrlerCommand } from './commands.js'
import type { CtrlerResult } from './state-machine.js'
import { CtrlerStateMachine } from './state-machine.js'
import { SESSION_EXPIRED_MESSAGE } from './client.js'

export interface ShardCtrlerServerOptions {
  readonly raft: ReadableReplicaRaft
  readonly clock: Clock
  /** @default -1 (no snapshots) */
  readonly maxRaftState?: number
  readonly storageSize: () => StorageSize
  readonly logger?: Logger
  /** Sessions idle for this many controller log entries are dropped (state-machine.ts). */
  readonly sessionExpiryEntries?: number
}

export class ShardCtrlerServer {
  readonly stateMachine: CtrlerStateMachine
  private readonly replica: Replica<CtrlerResult>

  constructor(options: ShardCtrlerServerOptions) {
    this.stateMachine = new CtrlerStateMachine(
      options.sessionExpiryEntries !== undefined
        ? { sessionExpiryEntries: options.sessionExpiryEntries }
        : {},
    )
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
    if (cmd.op === 'query') {
      const read = await this.replica.read()
      if (!read.ok) return { ok: false, error: read.error }
      return { ok: true, config: this.stateMachine.query(cmd.num) }
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
      case 'session-expired':
        return { ok: false, error: 'SESSION_EXPIRED', message: SESSION_EXPIRED_MESSAGE }
    }
  }

  kill(): Promise<void> {
    return this.replica.kill()
  }
}

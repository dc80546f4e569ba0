/**
 * The `raftkit` commands: the usage text and runCli, which hands each command line to its
 * module — cluster-commands.ts (init, serve, cluster, demo), client-commands.ts (put, append,
 * get, status), member.ts (member, transfer-leader, serve --join), backup.ts (backup save,
 * backup restore), chaos.ts, extension.ts (the sharded commands) — and turns what they throw
 * into the exit code. Each returns the process exit code.
 */
import {
  BackupFormatError,
  DataDirError,
  KvConfigError,
  RestoreRefusedError,
  TlsError,
} from '../errors.js'
import type { Io } from './args.js'
import { UsageError } from './args.js'
import { BACKUP_USAGE, cmdBackup } from './backup.js'
import { cmdChaos } from './chaos.js'
import { cmdCluster, cmdInit, cmdServe } from './cluster-commands.js'
import { cmdKv, cmdStatus } from './client-commands.js'
import { isShardCommand, runShardCommand } from './extension.js'
import { MEMBER_USAGE, cmdMember, cmdTransferLeader, startJoiningNode } from './member.js'

export type { Io } from './args.js'

export const USAGE = `raftkit — a replicated key/value store on Raft

Usage:
  raftkit init    --nodes N --dir D [--host 127.0.0.1] [--tls]
                                write D/cluster.json (free loopback ports); --tls also makes a CA
                                and a certificate per node in D/tls (needs the openssl command)
  raftkit serve   --config F --id ID [--log-level L] [--set path=value ...]
  raftkit cluster --nodes N --dir D [--log-level L] [--tls] init (unless D/cluster.json exists) and run
                                                            N local nodes with a live status table
  raftkit put    KEY VALUE  (--config F | --endpoints E,...) [--ca FILE] [--timeout MS] [--protocol P]
  raftkit append KEY VALUE  (--config F | --endpoints E,...) [--ca FILE] [--timeout MS] [--protocol P]
  raftkit get    KEY        (--config F | --endpoints E,...) [--ca FILE] [--timeout MS] [--protocol P]
  raftkit status            (--config F | --endpoints E,...) [--ca FILE]
                                E: host:port or https://host:port. With a TLS cluster file the
                                clients use HTTPS and trust its tls.caFile; --ca FILE trusts
                                that PEM CA instead (and makes host:port endpoints https://).
                                P: http (default) or ws (the nodes' WebSocket RPC, /v1/rpc)
${MEMBER_USAGE}
${BACKUP_USAGE}
  raftkit demo   [--dir D]                                   3 local nodes, a short workload, live status
  raftkit chaos  [--config F | --nodes N [--groups G] --dir D] [--duration 60s] [--seed S] ...
                                                            the chaos monkey (raftkit chaos --help)

Sharded clusters (with @raftkit/shardkv installed; \`raftkit shard help\` for the details):
  raftkit init --groups G --nodes N --dir D     controller + G replica groups on N local nodes
  raftkit shard join|leave|move|query ...       serve, put, get, append and status take a
                                                sharded cluster file as they take any other

Exit codes: 0 success, 1 the operation failed, 2 bad usage or configuration.
`

/** Runs one command line; never throws (errors are printed, the exit code tells). */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = argv
  try {
    if (await isShardCommand(argv)) return await runShardCommand(argv, io)
    switch (command) {
      case 'init':
        return await cmdInit(rest, io)
      case 'serve':
        if (rest.includes('--join')) {
          const node = await startJoiningNode(rest, io)
          if (node === 'interrupted') return 0
          await io.interrupted
          await node.stop()
          return 0
        }
        return await cmdServe(rest, io)
      case 'member':
        return await cmdMember(rest, io)
      case 'transfer-leader':
        return await cmdTransferLeader(rest, io)
      case 'cluster':
        return await cmdCluster(rest, io, false)
      case 'demo':
        return await cmdCluster(rest, io, true)
      case 'put':
      case 'append':
      case 'get':
        return await cmdKv(command, rest, io)
      case 'status':
        return await cmdStatus(rest, io)
      case 'backup':
        return await cmdBackup(rest, io)
      case 'chaos':
        return await cmdChaos(rest, io)
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE)
        return command === undefined ? 2 : 0
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`)
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`raftkit ${command ?? ''}: ${e.message}\n\n${USAGE}`)
      return 2
    }
    if (
      e instanceof KvConfigError ||
      e instanceof TlsError ||
      e instanceof BackupFormatError ||
      e instanceof RestoreRefusedError ||
      e instanceof DataDirError
    ) {
      io.err(`raftkit ${command ?? ''}: ${e.message}\n`)
      return 2
    }
    io.err(`raftkit ${command ?? ''}: ${e instanceof Error ? e.message : String(e)}\n`)
    return 1
  }
}

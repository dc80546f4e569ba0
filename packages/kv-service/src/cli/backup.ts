/**
 * `raftkit backup save FILE` and `raftkit backup restore FILE`: a backup of a running cluster
 * (GET /v1/admin/backup through http/backup-client.ts, checked, then written atomically), or
 * with --data-dir one made offline from a stopped node's data directory to recover a cluster
 * that lost its majority (config/data-dir-backup.ts), and the data directories of a new cluster prepared from one (config/restore.ts), so that
 * `raftkit serve` on those nodes starts with exactly the backed-up keys and sessions.
 * Single-group clusters only: a sharded cluster file is refused.
 */
import { readFile } from 'node:fs/promises'
import { resolve, sep } from 'node:path'
import type { DecodedBackup } from '../backup-format.js'
import { decodeBackup } from '../backup-format.js'
import { findNode, loadClusterConfig } from '../config/cluster-config.js'
import { writeFileAtomic } from '../config/atomic-write.js'
import { backupFromDataDir } from '../config/data-dir-backup.js'
import { checkRestorable, restoreDataDir } from '../config/restore.js'
import { KvConfigError } from '../errors.js'
import { fetchBackup } from '../http/backup-client.js'
import type { Io, Values } from './args.js'
import { UsageError, intFlag, parse, required } from './args.js'
import { CLIENT_OPTIONS, clientSetup } from './client-commands.js'
import { hasShardSection } from './extension.js'

export const BACKUP_USAGE = `  raftkit backup save FILE  (--config F | --endpoints E,...) [--ca FILE] [--timeout MS]
                                writes a backup of the cluster's keys and sessions to FILE
                                (atomically); with --endpoints the cluster secret is read
                                from the environment variable RAFTKIT_SECRET
  raftkit backup save FILE --data-dir DIR [--config F]
                                offline: a backup from a STOPPED node's data directory DIR
                                (read only), every log entry applied, also past its commit
                                index: to recover a cluster that lost its majority for good
                                (use the survivor with the highest last term, then index)
  raftkit backup restore FILE --config F [--id ID]
                                prepares the (missing or empty) data directories of F's nodes
                                (or of node ID) from FILE; then start them with raftkit serve`

const SAVE_OPTIONS = { ...CLIENT_OPTIONS, 'data-dir': { type: 'string' } } as const

/** Default --timeout of `backup save`: the whole fetch, leader search and transfer included. */
const SAVE_TIMEOUT_MS = 60_000

/** The environment variable `backup save --endpoints` takes the cluster secret from. */
export const SECRET_ENV = 'RAFTKIT_SECRET'

/** `raftkit backup save|restore ...` */
export async function cmdBackup(argv: readonly string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === 'save') return save(rest, io)
  if (sub === 'restore') return restore(rest, io)
  throw new UsageError('expected backup save FILE ... or backup restore FILE ...')
}

async function refuseSharded(file: unknown): Promise<void> {
  if (typeof file === 'string' && (await hasShardSection(file)))
    throw new KvConfigError(
      '--config',
      `${file} is a sharded cluster file: backup and restore support single-group clusters only`,
    )
}

async function save(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, SAVE_OPTIONS, 1)
  const file = positionals[0] as string
  if (values['data-dir'] !== undefined) return saveOffline(file, values, io)
  await refuseSharded(values.config)
  const { target, config } = await clientSetup(values)
  const secret = config?.secret ?? process.env[SECRET_ENV]
  if (secret === undefined || secret.length === 0)
    throw new UsageError(`--endpoints needs the cluster secret in the environment: ${SECRET_ENV}`)
  const deadlineMs = intFlag(values, 'timeout', SAVE_TIMEOUT_MS)
  const { bytes, node } = await fetchBackup({
    endpoints: Object.values(target.endpoints),
    secret,
    ...(target.tls ? { tls: target.tls } : {}),
    deadlineMs,
  })
  // Checked before it is written: a damaged transfer never becomes a file that looks good.
  let backup: DecodedBackup
  try {
    backup = decodeBackup(bytes)
  } catch (e) {
    throw new Error(`${node} sent a damaged backup, not written: ${(e as Error).message}`)
  }
  await writeFileAtomic(file, bytes)
  io.out(`saved ${resolve(file)} (from ${node}): ${describe(backup)}, ${bytes.length} bytes\n`)
  return 0
}

/**
 * `backup save FILE --data-dir DIR [--config F]`: offline, from a stopped node's data directory
 * (config/data-dir-backup.ts); F gives the server settings (session expiry), else defaults.
 */
async function saveOffline(file: string, values: Values, io: Io): Promise<number> {
  for (const flag of ['endpoints', 'ca', 'timeout'] as const)
    if (values[flag] !== undefined)
      throw new UsageError(`--data-dir reads a stopped node's directory: --${flag} has no use`)
  const dir = resolve(required(values, 'data-dir'))
  const target = resolve(file)
  if (target === dir || target.startsWith(dir + sep))
    throw new KvConfigError('FILE', `write it outside the data directory ${dir}: that is only read`)
  const configFile = values.config === undefined ? undefined : required(values, 'config')
  await refuseSharded(configFile)
  const config = configFile === undefined ? undefined : await loadClusterConfig(configFile)
  const made = await backupFromDataDir(dir, {
    ...(config ? { sessionExpiryEntries: config.server.sessionExpiryEntries } : {}),
    logger: {
      debug: () => undefined,
      info: () => undefined,
      warn: (message, fields) => io.err(`warning: ${message} ${JSON.stringify(fields ?? {})}\n`),
      error: (message, fields) => io.err(`error: ${message} ${JSON.stringify(fields ?? {})}\n`),
    },
  })
  const { backup } = made
  io.out(
    `read ${dir}: snapshot at index ${made.snapshotIndex}, ${made.entries} log entries after it; ` +
      `last index ${backup.index}, term ${backup.term}; stored commit index ${made.commit}, ` +
      `${made.pastCommit} entries past it included\n`,
  )
  await writeFileAtomic(file, made.bytes)
  io.out(`saved ${target} (offline): ${describe(backup)}, ${made.bytes.length} bytes\n`)
  return 0
}

async function restore(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { config: { type: 'string' }, id: { type: 'string' } },
    1,
  )
  const file = positionals[0] as string
  const configFile = required(values, 'config')
  await refuseSharded(configFile)
  const config = await loadClusterConfig(configFile)
  const targets =
    values.id === undefined ? config.nodes : [findNode(config, required(values, 'id'))]
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (e) {
    throw new KvConfigError('FILE', `cannot read ${file}: ${(e as Error).message}`)
  }
  const backup = decodeBackup(bytes)
  // Every directory is checked before any is written: a refusal changes nothing.
  for (const n of targets) await checkRestorable(n.dataDir)
  const voters = config.nodes.map((n) => n.id)
  for (const n of targets) {
    await restoreDataDir(n.dataDir, `nodes[${config.nodes.indexOf(n)}].dataDir`, backup, voters)
    io.out(`${n.id}: restored into ${n.dataDir}\n`)
  }
  io.out(
    `restored ${describe(backup)}; voters [${voters.join(' ')}]. Start the nodes: ` +
      `raftkit serve --config ${configFile} --id <id>\n`,
  )
  return 0
}

function describe(b: DecodedBackup): string {
  return `index ${b.index}, term ${b.term}, ${b.state.data.size} keys, ${b.state.sessions.size} sessions`
}

/**
 * Sharded clusters in the `raftkit` command line without an import circle. @raftkit/shardkv
 * depends on this package, so this package cannot import it; instead the `raftkit` bin hands
 * the sharded commands to shardkv's CLI module (`@raftkit/shardkv/cli`, `runShardCli`), loaded
 * at run time in this process when the command needs it:
 *
 * - `raftkit shard ...` and `raftkit init --groups G ...`;
 * - `raftkit serve|put|append|get|status --config F` when F has a `shard` section.
 *
 * The module is found the way Node finds any package from here (in this repository the
 * workspace link, in an installation the `node_modules` next to this package). Without
 * @raftkit/shardkv installed these commands say so and exit 2. No static import: the
 * dependency graph stays kv-service ← shardkv.
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'

/** The part of the CLI's Io the sharded commands use. */
export interface ExtensionIo {
  readonly out: (text: string) => void
  readonly err: (text: string) => void
  readonly interrupted: Promise<void>
}

type ShardCli = (argv: readonly string[], io: ExtensionIo) => Promise<number>

/** Kept out of a literal so bundlers and dependency checkers do not take it for a dependency. */
const SHARD_CLI = ['@raftkit', 'shardkv/cli'].join('/')

const CONFIG_COMMANDS = new Set(['serve', 'put', 'append', 'get', 'status'])

/** The value of `--config F` / `--config=F`, if given. */
function configArg(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--config') return argv[i + 1]
    if (a.startsWith('--config=')) return a.slice('--config='.length)
  }
  return undefined
}

/** True when the file parses as a JSON object with a `shard` section (no validation). */
export async function hasShardSection(file: string): Promise<boolean> {
  try {
    const raw = JSON.parse(await readFile(resolve(file), 'utf8')) as unknown
    return typeof raw === 'object' && raw !== null && !Array.isArray(raw) && 'shard' in raw
  } catch {
    return false // unreadable or not JSON: the single-group command reports it
  }
}

/** True when `argv` (command first) is a sharded command. */
export async function isShardCommand(argv: readonly string[]): Promise<boolean> {
  const [command, ...rest] = argv
  if (command === 'shard') return true
  if (command === 'init') return rest.some((a) => a === '--groups' || a.startsWith('--groups='))
  if (command !== undefined && CONFIG_COMMANDS.has(command)) {
    const file = configArg(rest)
    return file !== undefined && (await hasShardSection(file))
  }
  return false
}

/** Runs a sharded command through @raftkit/shardkv's CLI; exit code 2 when it is not installed. */
export async function runShardCommand(argv: readonly string[], io: ExtensionIo): Promise<number> {
  let run: ShardCli
  try {
    const mod = (await import(import.meta.resolve(SHARD_CLI))) as { runShardCli: ShardCli }
    run = mod.runShardCli
  } catch (e) {
    io.err(
      `raftkit ${argv[0] ?? ''}: sharded clusters need @raftkit/shardkv ` +
        `(npm install @raftkit/shardkv): ${(e as Error).message}\n`,
    )
    return 2
  }
  return run(argv, io)
}

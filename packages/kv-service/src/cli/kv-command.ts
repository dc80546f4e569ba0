/**
 * One `raftkit put|append|get` against any key/value client: checks KEY and VALUE, runs the
 * operation, prints the value or `OK`, and turns a timeout or a service error into a message and
 * exit code 1. Shared by the single-group commands and @raftkit/shardkv's sharded ones, so both
 * print and fail alike.
 */
import { TimeoutError } from '@raftkit/raft-core'
import { KvConfigError, KvError, TlsError } from '../errors.js'

/** What a `raftkit put|append|get` needs of a client (KvClient and ShardKvHttpClient both fit). */
export interface KvCommandClient {
  get(key: string): Promise<string>
  put(key: string, value: string): Promise<void>
  append(key: string, value: string): Promise<void>
}

/** Where a command line prints. */
export interface KvCommandIo {
  readonly out: (text: string) => void
  readonly err: (text: string) => void
}

export type KvCommandOp = 'put' | 'append' | 'get'

/** Throws KvConfigError (exit code 2) for an empty KEY or VALUE. */
export function checkKvCommandArgs(key: string, value: string | undefined): void {
  if (key.length === 0) throw new KvConfigError('KEY', 'must not be empty')
  if (value !== undefined && value.length === 0)
    throw new KvConfigError('VALUE', 'must not be empty')
}

/**
 * Runs `op` and prints its outcome; resolves to the exit code (0 done, 1 failed). A TLS error is
 * a configuration problem and is thrown (the caller exits 2); so is any error that is not a
 * timeout or a KvError. `timeoutHint` is added to the timeout message.
 */
export async function runKvCommand(
  op: KvCommandOp,
  key: string,
  value: string | undefined,
  client: KvCommandClient,
  io: KvCommandIo,
  deadlineMs: number,
  timeoutHint = '',
): Promise<number> {
  try {
    if (op === 'get') {
      const v = await client.get(key)
      io.out(v.length > 0 ? `${v}\n` : '')
      if (v.length === 0) io.err(`(no value for ${JSON.stringify(key)})\n`)
    } else {
      await client[op](key, value as string)
      io.out('OK\n')
    }
    return 0
  } catch (e) {
    if (e instanceof TimeoutError)
      io.err(
        `raftkit ${op}: no answer within ${deadlineMs} ms${timeoutHint}` +
          (op === 'get' ? '\n' : '; the write may or may not have taken effect\n'),
      )
    else if (e instanceof TlsError) throw e
    else if (e instanceof KvError) io.err(`raftkit ${op}: ${e.message}\n`)
    else throw e
    return 1
  }
}

/**
 * One shard-controller operation from the command line (`raftkit shard ...`, the chaos
 * monkey's migrations): a fresh clerk over the given RPC, given up with a TimeoutError after
 * `deadlineMs`; the clerk is closed either way.
 */
import { SystemClock, TimeoutError } from '@raftkit/raft-core'
import { CtrlerClient } from '../ctrler/client.js'
import type { ShardRpc } from '../rpc.js'
import { CTRLER_GROUP, endpointName } from '../net/rpc-protocol.js'
import type { ShardCluster } from '../node/cluster-file.js'

export async function ctrlerCall<T>(
  rpc: ShardRpc,
  cluster: ShardCluster,
  name: string,
  deadlineMs: number,
  fn: (c: CtrlerClient) => Promise<T>,
): Promise<T> {
  const clerk = new CtrlerClient({
    rpc,
    servers: cluster.shard.ctrler.map((n) => endpointName(CTRLER_GROUP, n)),
    clock: new SystemClock(),
    name,
  })
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      fn(clerk),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          clerk.close()
          reject(new TimeoutError(`the controller did not answer within ${deadlineMs} ms`))
        }, deadlineMs)
      }),
    ])
  } finally {
    clearTimeout(timer)
    clerk.close()
  }
}

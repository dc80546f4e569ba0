/** Where the shard harness puts things: three nodes, the controller group's id, the first gid. */
export const NODES = 3
export const CTRLER_GROUP = 'ctrler'
export const FIRST_GID = 100

/** Every shard lab scenario, in the lab's order (then raftkit's own), and selection by name or description. */
import type { ShardScenario } from '../scenario.js'
import * as s4A from './4a.js'
import * as s4B from './4b.js'
import * as s4BChallenge from './4b-challenge.js'
import * as s4BSessions from './4b-sessions.js'

export * from './4a.js'
export * from './4b.js'
export * from './4b-challenge.js'
export * from './4b-sessions.js'

export const allShardScenarios: readonly ShardScenario[] = Object.freeze([
  s4A.TestBasic4A,
  s4A.TestMulti4A,
  s4B.TestStaticShards4B,
  s4B.TestJoinLeave4B,
  s4B.TestSnapshot4B,
  s4B.TestMissChange4B,
  s4B.TestConcurrent14B,
  s4B.TestConcurrent24B,
  s4B.TestConcurrent34B,
  s4B.TestUnreliable14B,
  s4B.TestUnreliable24B,
  s4B.TestUnreliable34B,
  s4BChallenge.TestChallenge1Delete4B,
  s4BChallenge.TestChallenge2Unaffected4B,
  s4BChallenge.TestChallenge2Partial4B,
  s4BSessions.TestSessionExpiryAcrossMigration4B,
])

/** Scenarios whose name or description matches `grep` (a RegExp source); all when absent. */
export function selectShardScenarios(grep?: string | RegExp): ShardScenario[] {
  if (grep === undefined || grep === '') return [...allShardScenarios]
  const re = typeof grep === 'string' ? new RegExp(grep) : grep
  return allShardScenarios.filter((s) => re.test(s.name) || re.test(s.description))
}

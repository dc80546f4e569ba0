/** Every shard lab scenario, in the lab's order, and selection by name or description. */
import type { ShardScenario } from '../scenario.js'
import { TestBasic4A, TestMulti4A } from './4a.js'
import {
  TestConcurrent14B,
  TestConcurrent24B,
  TestConcurrent34B,
  TestJoinLeave4B,
  TestMissChange4B,
  TestSnapshot4B,
  TestStaticShards4B,
  TestUnreliable14B,
  TestUnreliable24B,
  TestUnreliable34B,
} from './4b.js'
import {
  TestChallenge1Delete4B,
  TestChallenge2Partial4B,
  TestChallenge2Unaffected4B,
} from './4b-challenge.js'

export {
  TestBasic4A,
  TestMulti4A,
  TestStaticShards4B,
  TestJoinLeave4B,
  TestSnapshot4B,
  TestMissChange4B,
  TestConcurrent14B,
  TestConcurrent24B,
  TestConcurrent34B,
  TestUnreliable14B,
  TestUnreliable24B,
  TestUnreliable34B,
  TestChallenge1Delete4B,
  TestChallenge2Unaffected4B,
  TestChallenge2Partial4B,
}

export const allShardScenarios: readonly ShardScenario[] = Object.freeze([
  TestBasic4A,
  TestMulti4A,
  TestStaticShards4B,
  TestJoinLeave4B,
  TestSnapshot4B,
  TestMissChange4B,
  TestConcurrent14B,
  TestConcurrent24B,
  TestConcurrent34B,
  TestUnreliable14B,
  TestUnreliable24B,
  TestUnreliable34B,
  TestChallenge1Delete4B,
  TestChallenge2Unaffected4B,
  TestChallenge2Partial4B,
])

/** Scenarios whose name or description matches `grep` (a RegExp source); all when absent. */
export function selectShardScenarios(grep?: string | RegExp): ShardScenario[] {
  if (grep === undefined || grep === '') return [...allShardScenarios]
  const re = typeof grep === 'string' ? new RegExp(grep) : grep
  return allShardScenarios.filter((s) => re.test(s.name) || re.test(s.description))
}

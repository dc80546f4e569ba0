/** Every shard lab scenario, in the lab's order, and selection by name or description. */
import type { ShardScenario } from '../scenario.js'
import { TestBasic4A, TestMulti4A } from './4a.js'

export { TestBasic4A, TestMulti4A }

export const allShardScenarios: readonly ShardScenario[] = Object.freeze([TestBasic4A, TestMulti4A])

/** Scenarios whose name or description matches `grep` (a RegExp source); all when absent. */
export function selectShardScenarios(grep?: string | RegExp): ShardScenario[] {
  if (grep === undefined || grep === '') return [...allShardScenarios]
  const re = typeof grep === 'string' ? new RegExp(grep) : grep
  return allShardScenarios.filter((s) => re.test(s.name) || re.test(s.description))
}

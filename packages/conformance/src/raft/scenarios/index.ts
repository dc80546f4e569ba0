/** Every Raft lab scenario, in the lab's order. */
import type { Scenario } from '../scenario.js'
import { scenarios2A } from './2a.js'
import { scenarios2B } from './2b.js'
import { scenarios2C } from './2c.js'
import { scenarios2D } from './2d.js'
import { scenariosMembership } from './membership.js'

export { scenarios2A, scenarios2B, scenarios2C, scenarios2D, scenariosMembership }
export * from './2a.js'
export * from './2b.js'
export * from './2c.js'
export * from './2d.js'
export * from './membership.js'

export const allScenarios: readonly Scenario[] = Object.freeze([
  ...scenarios2A,
  ...scenarios2B,
  ...scenarios2C,
  ...scenarios2D,
  ...scenariosMembership,
])

/**
 * The scenarios whose name or part matches `grep` (a regular expression; a plain "2B" selects
 * a part). No grep selects all.
 */
export function selectScenarios(grep?: string | RegExp): Scenario[] {
  if (grep === undefined || grep === '') return [...allScenarios]
  const re = typeof grep === 'string' ? new RegExp(grep) : grep
  return allScenarios.filter((s) => re.test(s.name) || re.test(s.description))
}

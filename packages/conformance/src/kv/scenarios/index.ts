/**
 * Every key/value lab scenario (3A, 3B), in the lab's order, then the same chaos with random
 * membership changes (membership.ts).
 */
import type { KvScenario } from '../scenario.js'
import { scenarios3A } from './3a.js'
import { scenarios3B } from './3b.js'
import { scenariosKvMembership } from './membership.js'

export { scenarios3A, scenarios3B, scenariosKvMembership }
export * from './3a.js'
export * from './3b.js'
export * from './membership.js'
export { TestLeadershipTransferUnderLoadNoUnavailable3A } from './transfer.js'
export { CHURN_KINDS, MIN_VOTERS, MAX_VOTERS } from './churn.js'
export type { ChurnKind } from './churn.js'
export { genericScenario, genericTitle, speedScenario } from './generic.js'
export type { GenericParams } from './generic.js'

export const allKvScenarios: readonly KvScenario[] = Object.freeze([
  ...scenarios3A,
  ...scenarios3B,
  ...scenariosKvMembership,
])

/**
 * The scenarios whose name or description matches `grep` (a regular expression; "3A" selects
 * a part). No grep selects all.
 */
export function selectKvScenarios(grep?: string | RegExp): KvScenario[] {
  if (grep === undefined || grep === '') return [...allKvScenarios]
  const re = typeof grep === 'string' ? new RegExp(grep) : grep
  return allKvScenarios.filter((s) => re.test(s.name) || re.test(s.description))
}

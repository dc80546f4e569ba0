/**
 * Shared fixtures of the membership and leadership-transfer tests on the synchronous test
 * network (paper/membership*.spec.ts, paper/learner-transfer.spec.ts).
 */
import type { Membership } from '../../src/types.js'
import { Network } from './network.js'

/** `m` with each list sorted (undefined: the empty configuration), to compare as sets. */
export const sortedMembership = (m: Membership | undefined): Membership => ({
  voters: [...(m?.voters ?? [])].sort(),
  learners: [...(m?.learners ?? [])].sort(),
  outgoing: [...(m?.outgoing ?? [])].sort(),
})

/** a leads a, b, c with learner d (a new node that joined empty); one command committed. */
export function withLearner(seed = 1): Network {
  const net = new Network(['a', 'b', 'c'], { seed })
  net.elect('a')
  net.propose('a', 'x')
  net.join('d')
  net.node('a').proposeMembership({ voters: ['a', 'b', 'c'], learners: ['d'] })
  net.settle()
  net.tick(['a'])
  return net
}

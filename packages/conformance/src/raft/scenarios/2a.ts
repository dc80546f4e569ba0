/** Lab 2A: leader election (test_test.go, 6.5840 Spring 2023). */
import { ELECTION_TIMEOUT_MS } from '../harness.js'
import { scenario } from '../scenario.js'

export const TestInitialElection2A = scenario({
  name: 'TestInitialElection2A',
  part: '2A',
  description: 'Test (2A): initial election',
  servers: 3,
  async run(c) {
    c.begin('Test (2A): initial election')
    // is a leader elected?
    await c.checkOneLeader()
    // sleep a bit to avoid racing with followers learning of the election, then check that
    // all peers agree on the term.
    await c.sleep(50)
    const term1 = c.checkTerms()
    if (term1 < 1) throw c.fail(`term is ${term1}, but should be at least 1`)
    // does the leader+term stay the same if there is no network failure?
    await c.sleep(2 * ELECTION_TIMEOUT_MS)
    const term2 = c.checkTerms()
    if (term1 !== term2) c.warn('warning: term changed even though there were no failures')
    // there should still be a leader.
    await c.checkOneLeader()
    c.end()
  },
})

export const TestReElection2A = scenario({
  name: 'TestReElection2A',
  part: '2A',
  description: 'Test (2A): election after network failure',
  servers: 3,
  async run(c) {
    const n = c.n
    c.begin('Test (2A): election after network failure')
    const leader1 = await c.checkOneLeader()
    // if the leader disconnects, a new one should be elected.
    c.disconnect(leader1)
    await c.checkOneLeader()
    // if the old leader rejoins, that shouldn't disturb the new leader (no two leaders in a term).
    c.connect(leader1)
    const leader2 = await c.checkOneLeader()
    // if there's no quorum, no new leader should be elected.
    c.disconnect(leader2)
    c.disconnect((leader2 + 1) % n)
    await c.sleep(2 * ELECTION_TIMEOUT_MS)
    // check that the one connected server does not think it is the leader.
    c.checkNoLeader()
    // if a quorum arises, it should elect a leader.
    c.connect((leader2 + 1) % n)
    await c.checkOneLeader()
    // re-join of last node shouldn't prevent leader from existing.
    c.connect(leader2)
    await c.checkOneLeader()
    c.end()
  },
})

export const TestManyElections2A = scenario({
  name: 'TestManyElections2A',
  part: '2A',
  description: 'Test (2A): multiple elections',
  servers: 7,
  async run(c) {
    const n = c.n
    c.begin('Test (2A): multiple elections')
    await c.checkOneLeader()
    for (let ii = 1; ii < 10; ii++) {
      // disconnect three nodes (repeats allowed)
      const i1 = c.rng.int(n)
      const i2 = c.rng.int(n)
      const i3 = c.rng.int(n)
      c.disconnect(i1)
      c.disconnect(i2)
      c.disconnect(i3)
      // either the current leader should still be alive, or the remaining four should elect a new one.
      await c.checkOneLeader()
      c.connect(i1)
      c.connect(i2)
      c.connect(i3)
    }
    await c.checkOneLeader()
    c.end()
  },
})

export const scenarios2A = [TestInitialElection2A, TestReElection2A, TestManyElections2A]

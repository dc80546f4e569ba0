import { expect } from 'chai'
import { createRng } from '@raftkit/raft-core'
import { KvCluster } from './cluster.js'
import { expectAppendsOnce } from './checks.js'

/**
 * The lab's hardest kvraft shape in miniature: 5 servers, 3 concurrent clerks, both networks
 * unreliable, random partitions every second, a full restart after each of 3 rounds, and
 * snapshots (maxRaftState 1000). Every read must see exactly the clerk's own appends, each
 * once and in order, and the persisted Raft state must stay within 8 × maxRaftState.
 */
describe('KvServer + KvClient under chaos (simulated time)', () => {
  it('stays exactly-once and linearizable per key through partitions, loss, restarts and snapshots', async () => {
    const seed = 2
    const c = new KvCluster({ n: 5, seed, maxRaftState: 1000 })
    await c.run(async () => {
      await c.startAll()
      c.rpc.setReliable(false)
      c.net.setReliable(false)
      const rng = createRng(seed)
      const expected: string[][] = [[], [], []]
      for (let round = 0; round < 3; round++) {
        let stop = false
        const clerks = [0, 1, 2].map(async (i) => {
          const ck = c.client()
          let j = 0
          while (!stop) {
            if (rng.int(2) === 0) {
              const v = `x ${i} ${round}.${j++} y`
              await ck.append(`k${i}`, v)
              expected[i]!.push(v)
            } else {
              const got = await ck.get(`k${i}`)
              expect(got).to.equal(expected[i]!.join(''))
            }
          }
        })
        const chaos = (async () => {
          while (!stop) {
            const groups: string[][] = [[], []]
            for (const id of c.ids) groups[rng.int(2)]!.push(id)
            c.net.partition(groups)
            await c.clock.sleep(1000 + rng.int(200))
          }
        })()
        await c.clock.sleep(5000)
        stop = true
        await chaos
        c.net.heal()
        await Promise.all(clerks)
        for (const id of c.ids) await c.crash(id)
        await c.clock.sleep(1000)
        await c.startAll()
        const ck = c.client()
        for (let i = 0; i < 3; i++) {
          const v = await ck.get(`k${i}`)
          expectAppendsOnce(v, expected[i]!)
          expect(v).to.equal(expected[i]!.join(''))
        }
        expect(c.maxRaftStateBytes()).to.be.at.most(8000)
      }
    })
  })
})

/**
 * The runtime on simulated disks (TestCluster `disk: true`): writes take simulated time, so
 * messages and proposals reach nodes while their writes are in flight, crashes cut power in
 * the middle of writes, and a seed still replays exactly.
 */
import { expect } from 'chai'
import type { DiskCrashReport } from '../src/simulated-disk.js'
import { createRng, seedFrom } from '../src/rng.js'
import type { NodeId } from '../src/types.js'
import { TestCluster, bytes, text } from './cluster.js'

/** index → command text over every node and incarnation; throws on a conflict. */
function checkAppliedAgree(c: TestCluster): Map<number, string> {
  const at = new Map<number, string>()
  for (const [id, msgs] of c.applied)
    for (const m of msgs) {
      if (m.kind !== 'command') continue
      const cmd = text(m.command)
      const before = at.get(m.index)
      if (before !== undefined && before !== cmd)
        throw new Error(`${id} applied ${cmd} at ${m.index}, another node applied ${before}`)
      at.set(m.index, cmd)
    }
  return at
}

async function steadyLoad(c: TestCluster, commands: number, gapMs: number): Promise<void> {
  for (let i = 0; i < commands; i++) {
    const leader = c.leaders()[0]
    if (leader) c.node(leader).start(bytes(`c${i}`))
    await c.clock.sleep(gapMs)
  }
}

describe('Raft runtime on simulated disks', () => {
  let cluster: TestCluster | undefined

  afterEach(async () => {
    if (cluster) await cluster.clock.run(() => cluster!.shutdown())
    cluster = undefined
  })

  it('delivers messages and takes proposals while a node’s write is in flight', async () => {
    const c = (cluster = new TestCluster({ seed: 3, disk: true }))
    const during = new Map<string, number>()
    c.net.onDeliver = (m) => {
      if ((c.disks?.disk(m.to)?.inFlight ?? 0) > 0)
        during.set(m.type, (during.get(m.type) ?? 0) + 1)
    }
    let proposalsDuringWrite = 0
    await c.clock.run(async () => {
      await c.startAll()
      const leader = await c.leader()
      for (let i = 0; i < 40; i++) {
        if ((c.disks?.disk(leader.id)?.inFlight ?? 0) > 0) proposalsDuringWrite++
        leader.start(bytes(`c${i}`))
        await c.clock.sleep(2)
      }
      await c.waitFor(() => c.ids.every((id) => c.commands(id).length === 40))
    })
    expect(during.get('AppendEntries') ?? 0).to.be.greaterThan(0)
    expect(during.get('AppendEntriesReply') ?? 0).to.be.greaterThan(0)
    expect(proposalsDuringWrite).to.be.greaterThan(0)
    for (const id of c.ids)
      expect(c.commands(id)).to.deep.equal(Array.from({ length: 40 }, (_, i) => `c${i}`))
  })

  describe('crashes in the middle of writes', () => {
    /** Load, with a crash every ~200 ms and a restart from what the power cut left behind. */
    async function crashRun(seed: number, pipeline: boolean): Promise<DiskCrashReport[]> {
      const c = (cluster = new TestCluster({
        seed,
        disk: true,
        config: { pipelineLeaderAppends: pipeline },
      }))
      const rng = createRng(seedFrom(seed, 'crash-schedule'))
      const reports: DiskCrashReport[] = []
      await c.clock.run(async () => {
        await c.startAll()
        await c.leader()
        const load = steadyLoad(c, 300, 5)
        for (let round = 0; round < 6; round++) {
          await c.clock.sleep(150 + rng.int(100))
          const victim = c.ids[rng.int(c.ids.length)] as NodeId
          const disk = c.disks?.disk(victim)
          const copy = await c.crash(victim)
          if (disk) reports.push(await disk.crash())
          await c.clock.sleep(20 + rng.int(60))
          await c.start(victim, copy)
        }
        await load
        const leader = await c.leader()
        leader.start(bytes('last'))
        await c.waitFor(() => c.ids.every((id) => c.commands(id).includes('last')), 20_000)
      }, 120_000)
      const agreed = checkAppliedAgree(c)
      // Every node ends with the same log of commands (nothing acknowledged was lost).
      const lastIndex = Math.max(...agreed.keys())
      for (const id of c.ids) expect(c.node(id).status().appliedIndex, id).to.equal(lastIndex)
      return reports
    }

    for (const pipeline of [false, true])
      it(`no node applies a different command at an index, and all converge (pipelineLeaderAppends ${pipeline})`, async () => {
        const reports: DiskCrashReport[] = []
        for (const seed of [1, 2, 3, 4]) reports.push(...(await crashRun(seed, pipeline)))
        const sum = (k: keyof DiskCrashReport): number => reports.reduce((a, r) => a + r[k], 0)
        // The power cuts really hit writes in flight: some were lost, some kept unacknowledged.
        expect(sum('lost'), 'writes lost').to.be.greaterThan(0)
        expect(sum('kept'), 'writes kept').to.be.greaterThan(0)
      })
  })

  it('replays a seed exactly, and the disk changes the run', async () => {
    async function trace(seed: number, disk: boolean): Promise<string[]> {
      const c = new TestCluster({ seed, disk })
      try {
        await c.clock.run(async () => {
          await c.startAll()
          await c.leader()
          await steadyLoad(c, 30, 3)
          const victim = c.ids[1] as NodeId
          const copy = await c.crash(victim)
          await c.clock.sleep(100)
          await c.start(victim, copy)
          await c.clock.sleep(1_000)
        }, 60_000)
        return c.trace
      } finally {
        await c.clock.run(() => c.shutdown())
      }
    }
    const first = await trace(5, true)
    expect(first.filter((l) => l.includes('apply command')).length).to.be.at.least(30)
    expect(await trace(5, true)).to.deep.equal(first)
    expect(await trace(5, false)).to.not.deep.equal(first)
  })
})

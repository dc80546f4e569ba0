// The simulated disk in the scenario runs (issue 10): on by default under the simulated clock,
// a seed replays to the same trace hash, crashes cut power while writes are in flight, `off`
// gives the runs of instantaneous storage, FileStorage composes with it through the
// IoSequencer, and the scenario aimed at snapshots during slow writes passes on the seeds that
// found issue 10's bug 1 before its fix, with pipelining off and on.
import { expect } from 'chai'
import { createMemoryNetwork } from '@raftkit/transport-memory'
import { TraceHasher, memoryStorage, runScenario, selectScenarios } from '../../src/raft/index.js'
import type { RunOptions, Scenario, StorageFactory, TraceEvent } from '../../src/raft/index.js'
import { fileStorage } from '../../src/storage-fs/index.js'

function only(name: string): Scenario {
  const [s] = selectScenarios(new RegExp(`^${name}$`))
  if (!s) throw new Error(`no scenario ${name}`)
  return s
}

interface Traced {
  readonly hash: string
  readonly events: TraceEvent[]
}

async function traced(
  name: string,
  seed: number,
  extra: Partial<RunOptions> = {},
  createStorage: StorageFactory = memoryStorage,
): Promise<Traced> {
  const hasher = new TraceHasher()
  const events: TraceEvent[] = []
  await runScenario(only(name), {
    seed,
    clock: 'sim',
    createNetwork: (_ids, { seed: s, clock }) => createMemoryNetwork({ seed: s, clock }),
    createStorage,
    trace: (e) => {
      hasher.sink(e)
      events.push(e)
    },
    ...extra,
  })
  return { hash: hasher.digest(), events }
}

const diskCrashes = (t: Traced) => t.events.filter((e) => e.kind === 'disk-crash')

describe('the simulated disk in scenario runs', function () {
  this.timeout(120_000)

  it('is on by default under the simulated clock, and a seed replays to the same trace hash', async () => {
    const first = await traced('TestSnapshotInstallCrash2D', 3)
    expect(diskCrashes(first)).to.have.length.greaterThan(0)
    const again = await traced('TestSnapshotInstallCrash2D', 3)
    expect(again.hash).to.equal(first.hash)
  })

  it('is off with diskModel: false (--disk-model off): storage completes at once, as before', async () => {
    const on = await traced('TestSnapshotInstallCrash2D', 3)
    const off = await traced('TestSnapshotInstallCrash2D', 3, { diskModel: false })
    expect(diskCrashes(off)).to.deep.equal([])
    expect(off.hash).to.not.equal(on.hash)
  })

  it('cuts power while writes are in flight: some lost, some kept although never acknowledged', async () => {
    let kept = 0
    let lost = 0
    for (const seed of [1, 2]) {
      for (const e of diskCrashes(await traced('TestFigure82C', seed))) {
        if (e.kind !== 'disk-crash') continue
        kept += e.kept
        lost += e.lost
      }
    }
    expect(lost, 'writes lost').to.be.greaterThan(0)
    expect(kept, 'writes kept').to.be.greaterThan(0)
  })

  it('runs FileStorage behind the simulated disk (through the IoSequencer)', async () => {
    const t = await traced('TestSnapshotInstallCrash2D', 2, {}, fileStorage())
    expect(diskCrashes(t)).to.have.length.greaterThan(0)
  })

  // With the fix of bug 1 reverted, these seeds fail ("server 2 apply out of order, expected
  // index 330, got 340" for 140); found by sweeping seeds 1..600 with pipelining off and 1..400 with it on.
  const bug1Seeds = new Map([
    [false, [140, 430]],
    [true, [12]],
  ])
  for (const [pipelineLeaderAppends, seeds] of bug1Seeds)
    it(`passes TestSnapshotDuringSlowWrite2D on the seeds that found bug 1 before its fix (pipelineLeaderAppends ${pipelineLeaderAppends})`, async () => {
      for (const seed of seeds)
        await traced('TestSnapshotDuringSlowWrite2D', seed, {
          raftConfig: { pipelineLeaderAppends },
        })
    })
})

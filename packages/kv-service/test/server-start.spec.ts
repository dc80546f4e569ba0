/**
 * KvServer.start (a Raft node and the service on it, in one call) on a single-member cluster in
 * simulated time: it serves once elected, shows the node's status, no longer leads once killed,
 * sizes the persisted state for snapshots from the storage by default, and kills the node it
 * started when the service's own options are refused (afterEach: no timer of it is left).
 */
import { expect } from 'chai'
import { MemoryStorage, SimulatedClock, createRng } from '@raftkit/raft-core'
import { createMemoryNetwork } from '@raftkit/transport-memory'
import type { KvServerStartOptions } from '../src/index.js'
import { KvConfigError, KvServer } from '../src/index.js'

describe('KvServer.start', () => {
  let clock: SimulatedClock
  let storage: MemoryStorage

  const options = (extra: Partial<KvServerStartOptions> = {}): KvServerStartOptions => ({
    id: 'n1',
    peers: ['n1'],
    transport: createMemoryNetwork({ seed: 1, clock }).endpoint('n1'),
    storage,
    clock,
    rng: createRng(7),
    ...extra,
  })

  beforeEach(() => {
    clock = new SimulatedClock()
    storage = new MemoryStorage()
  })
  afterEach(() => {
    expect(clock.pending(), 'timers left behind').to.equal(0)
  })

  async function elected(server: KvServer): Promise<void> {
    for (let i = 0; i < 100 && !server.isLeader(); i++) await clock.sleep(50)
    expect(server.isLeader(), 'elected itself').to.equal(true)
  }

  it('serves once elected; shows the status, and no longer leads once killed', async () => {
    await clock.run(async () => {
      const server = await KvServer.start(options())
      await elected(server)
      expect(server.raftStatus()?.role).to.equal('leader')
      expect(await server.open('c')).to.deep.equal({ ok: true, value: 'c' })
      expect(await server.put('k', 'v', 'c', 1)).to.deep.equal({ ok: true, value: '' })
      expect(await server.get('k')).to.deep.equal({ ok: true, value: 'v' })
      await server.kill()
      expect(server.isLeader()).to.equal(false)
      expect(server.raftStatus()?.stopReason, 'the status tells it stopped').to.not.equal(undefined)
    })
  })

  it("snapshots at maxRaftState measured on the storage's size by default", async () => {
    await clock.run(async () => {
      const server = await KvServer.start(options({ maxRaftState: 2000 }))
      await elected(server)
      await server.open('c')
      for (let seq = 1; seq <= 40; seq++) await server.put(`k${seq}`, 'x'.repeat(50), 'c', seq)
      await clock.sleep(100)
      expect(storage.size().snapshotBytes, 'a snapshot was saved').to.be.greaterThan(0)
      expect(storage.size().raftStateBytes).to.be.below(4000)
      await server.kill()
    })
  })

  it('refuses bad service options with KvConfigError and kills the node it started', async () => {
    await clock.run(async () => {
      const err = await KvServer.start(options({ maxValueBytes: 0 })).then(
        () => null,
        (e: unknown) => e,
      )
      expect(err).to.be.instanceOf(KvConfigError)
    })
  })
})

/**
 * The read path's rules (read-index.ts), through KvServer on the scripted FakeRaft: a read
 * answers from the state machine only once leadership is confirmed (ReadIndex) AND its index is
 * applied here, within requestTimeoutMs in all; otherwise TIMEOUT (or STOPPED), never a value.
 * (server-unit.spec.ts: the main paths.)
 */
import { expect } from 'chai'
import type { Index } from '@raftkit/raft-core'
import { MemoryLogger, SimulatedClock } from '@raftkit/raft-core'
import type { KvReply } from '../src/index.js'
import { KvServer } from '../src/index.js'
import { FakeRaft, startRequest } from './fake-raft.js'

describe('KvServer: a read waits for confirmation and apply, within its deadline', () => {
  let clock: SimulatedClock
  let raft: FakeRaft
  let server: KvServer
  let logger: MemoryLogger

  const begin = (p: Promise<KvReply>) => startRequest(clock, p)

  beforeEach(() => {
    clock = new SimulatedClock()
    raft = new FakeRaft()
    raft.clock = clock
    logger = new MemoryLogger()
    server = KvServer.create({ raft, clock, requestTimeoutMs: 500, logger })
  })

  afterEach(async () => {
    await server.kill()
    expect(clock.pending(), 'timers left behind').to.equal(0)
  })

  it('a confirmed read whose index never applies here answers TIMEOUT, not the stale value', async () => {
    const r = await begin(server.open('c')) // index 1, never applied
    raft.readIndexImpl = () => Promise.resolve(1)
    const g = await begin(server.get('k'))
    await clock.advance(499)
    expect(g.reply).to.equal(undefined)
    await clock.advance(1)
    expect(g.reply).to.deep.equal({ ok: false, error: 'TIMEOUT' })
    expect(r.reply).to.deep.equal({ ok: false, error: 'TIMEOUT' })
  })

  it('the time spent confirming leadership counts against the deadline of the wait for apply', async () => {
    await clock.advance(10_000) // any time: the deadline counts from the read's arrival
    await begin(server.open('c')) // index 1, not applied yet
    let confirm: (index: Index) => void = () => undefined
    raft.readIndexImpl = () => new Promise<Index>((resolve) => (confirm = resolve))
    const g = await begin(server.get('k'))
    await clock.advance(300)
    confirm(1)
    await clock.advance(199)
    expect(g.reply).to.equal(undefined)
    await clock.advance(1) // 500 ms after the read arrived
    expect(g.reply).to.deep.equal({ ok: false, error: 'TIMEOUT' })
  })

  it('a read never confirmed answers TIMEOUT without logging an error (it is no bug)', async () => {
    raft.readIndexImpl = () => new Promise<Index>(() => undefined)
    const g = await begin(server.get('k'))
    await clock.advance(500)
    expect(g.reply).to.deep.equal({ ok: false, error: 'TIMEOUT' })
    expect(logger.records.filter((r) => r.level === 'error')).to.deep.equal([])
  })
})

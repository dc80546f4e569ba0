/**
 * The fixture of the specs that drive KvServer on the scripted FakeRaft: before each test a
 * fresh simulated clock, a FakeRaft on it, a MemoryLogger and a KvServer over them with the
 * spec's options; after each test the server (whichever `kv.server` is then) is killed and no
 * timer may be left behind. Call fakeRaftServer() inside the spec's describe.
 */
import { expect } from 'chai'
import { MemoryLogger, SimulatedClock } from '@raftkit/raft-core'
import type { KvReply, KvServerOptions } from '../src/index.js'
import { KvServer } from '../src/index.js'
import { FakeRaft, startRequest } from './fake-raft.js'

/** The server options a spec sets (raft and clock are the fixture's). */
export type FakeRaftServerOptions = Omit<KvServerOptions, 'raft' | 'clock'>

/** What a request refused with no leader known is answered. */
export const NO_LEADER: KvReply = { ok: false, error: 'WRONG_LEADER', leaderHint: null }

export class FakeRaftServer {
  clock!: SimulatedClock
  raft!: FakeRaft
  /** The server's logger unless the options name another. */
  logger!: MemoryLogger
  /** The server under test; a test may replace it (the one here at the end is killed). */
  server!: KvServer

  constructor(private readonly options: FakeRaftServerOptions) {}

  /** A KvServer on this raft and clock with the spec's options, `extra` over them. */
  readonly create = (extra: FakeRaftServerOptions = {}): KvServer =>
    KvServer.create({
      raft: this.raft,
      clock: this.clock,
      logger: this.logger,
      ...this.options,
      ...extra,
    })

  /** Starts a request and lets the server reach its waiting point (startRequest). */
  readonly begin = (p: Promise<KvReply>): ReturnType<typeof startRequest> =>
    startRequest(this.clock, p)

  /** Proposes `p`'s entry, applies everything started, and returns the answer. */
  readonly applied = async (p: Promise<KvReply>): Promise<KvReply> => {
    const r = await this.begin(p)
    this.raft.applyStarted()
    return r.done
  }

  /** Opens session `c` through the log (an open answers with the id). */
  readonly openSession = async (c: string): Promise<void> => {
    expect(await this.applied(this.server.open(c))).to.deep.equal({ ok: true, value: c })
  }

  /** beforeEach: everything fresh. */
  setUp(): void {
    this.clock = new SimulatedClock()
    this.raft = new FakeRaft()
    this.raft.clock = this.clock
    this.logger = new MemoryLogger()
    this.server = this.create()
  }

  /** afterEach: the server killed (and its Raft with it when `raftKilled`), no timer left. */
  async tearDown(raftKilled: boolean): Promise<void> {
    await this.server.kill()
    if (raftKilled) expect(this.raft.killed).to.equal(true)
    expect(this.clock.pending(), 'timers left behind').to.equal(0)
  }
}

/**
 * Registers the fixture's beforeEach and afterEach in the calling describe and returns it.
 * `check.raftKilled`: also check, after each test, that killing the server killed its Raft.
 */
export function fakeRaftServer(
  options: FakeRaftServerOptions,
  check: { raftKilled?: boolean } = {},
): FakeRaftServer {
  const kv = new FakeRaftServer(options)
  beforeEach(() => kv.setUp())
  afterEach(() => kv.tearDown(check.raftKilled ?? false))
  return kv
}

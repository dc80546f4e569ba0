/**
 * The Replica under both servers (replica.ts), one rule per test, each written from a mutant
 * that survived the shardkv specs and the shard lab scenarios (TESTING.md, "Session 18:
 * shardkv's servers"): which waiter an applied entry or snapshot answers and with what, a
 * timed-out waiter leaving the others at its index alone, read()'s answers and deadline, what
 * kill() wakes, and when a snapshot is taken. The Raft is a script: the test says what it
 * returns and what it applies.
 */
import { expect } from 'chai'
import { SimulatedClock } from '@raftkit/raft-core'
import type { ApplyMsg, StateMachine } from '@raftkit/raft-core'
import { Replica } from '../src/replica.js'
import type { ReadableReplicaRaft } from '../src/replica.js'

/** A Raft whose every answer the test sets: start() hands out the next index at `term`. */
class ScriptRaft implements ReadableReplicaRaft {
  term = 1
  leader = true
  next = 1
  killed = false
  snapshots: number[] = []
  /** What readIndex() does: resolve with an index, reject, or never settle. */
  readIndexAnswer: (() => Promise<number>) | undefined
  snapshotAnswer: () => Promise<void> = () => Promise.resolve()
  private handler: ((msg: ApplyMsg) => void | Promise<void>) | undefined

  start(): { index: number; term: number; isLeader: boolean } {
    if (!this.leader) return { index: -1, term: this.term, isLeader: false }
    return { index: this.next++, term: this.term, isLeader: true }
  }
  getState(): { term: number; isLeader: boolean } {
    return { term: this.term, isLeader: this.leader }
  }
  onApply(handler: (msg: ApplyMsg) => void | Promise<void>): void {
    this.handler = handler
  }
  snapshot(index: number): Promise<void> {
    this.snapshots.push(index)
    return this.snapshotAnswer()
  }
  readIndex(): Promise<number> {
    return this.readIndexAnswer ? this.readIndexAnswer() : Promise.resolve(0)
  }
  kill(): Promise<void> {
    this.killed = true
    return Promise.resolve()
  }
  command(index: number, term = this.term): void {
    void this.handler?.({ kind: 'command', index, term, command: new Uint8Array([index]) })
  }
  noop(index: number, term = this.term): void {
    void this.handler?.({ kind: 'noop', index, term })
  }
  installSnapshot(index: number): void {
    void this.handler?.({ kind: 'snapshot', index, term: this.term, snapshot: new Uint8Array([9]) })
  }
}

/** A state machine answering each command with its index; it records restores. */
class Echo implements StateMachine<number> {
  restored = 0
  apply(command: Uint8Array): number {
    return command[0] as number
  }
  snapshot(): Uint8Array {
    return new Uint8Array([1])
  }
  restore(): void {
    this.restored++
  }
}

interface Opts {
  maxRaftState?: number
  raftStateBytes?: number
  onApplied?: () => void
}

async function withReplica(
  opts: Opts,
  body: (t: {
    clock: SimulatedClock
    raft: ScriptRaft
    sm: Echo
    replica: Replica<number>
  }) => Promise<void>,
): Promise<void> {
  const clock = new SimulatedClock()
  const raft = new ScriptRaft()
  const sm = new Echo()
  const replica = new Replica({
    raft,
    stateMachine: sm,
    clock,
    maxRaftState: opts.maxRaftState ?? -1,
    storageSize: () => ({ raftStateBytes: opts.raftStateBytes ?? 0, snapshotBytes: 0 }),
    ...(opts.onApplied ? { onApplied: opts.onApplied } : {}),
  })
  await clock.run(() => body({ clock, raft, sm, replica }), 60_000)
}

/** Lets every queued promise reaction run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('Replica rules', () => {
  it('submit: the result of its own entry; WRONG_LEADER for another term or a noop at its index, or when not leading', async () => {
    await withReplica({}, async ({ raft, replica }) => {
      const a = replica.submit(new Uint8Array([1]))
      const b = replica.submit(new Uint8Array([2]))
      const c = replica.submit(new Uint8Array([3]))
      raft.command(1)
      raft.command(2, 2) // another leader's entry at index 2
      raft.noop(3)
      expect(await a).to.deep.equal({ ok: true, result: 1 })
      expect(await b).to.deep.equal({ ok: false, error: 'WRONG_LEADER' })
      expect(await c).to.deep.equal({ ok: false, error: 'WRONG_LEADER' })
      expect(replica.appliedIndex()).to.equal(3)
      raft.leader = false
      expect(await replica.submit(new Uint8Array([4]))).to.deep.equal({
        ok: false,
        error: 'WRONG_LEADER',
      })
    })
  })

  it("submit: a waiter that times out leaves the other waiter at its index, which gets its entry's result", async () => {
    await withReplica({}, async ({ clock, raft, replica }) => {
      const first = replica.submit(new Uint8Array([1])) // index 1, term 1: never applied as such
      await clock.sleep(500)
      raft.term = 2
      raft.next = 1 // a new term overwrites index 1
      const second = replica.submit(new Uint8Array([1]))
      expect(await first).to.deep.equal({ ok: false, error: 'TIMEOUT' })
      expect(clock.now()).to.equal(800)
      raft.command(1, 2)
      expect(await second).to.deep.equal({ ok: true, result: 1 })
      // The other way round: the later waiter times out first, the earlier one still answers.
      raft.next = 2
      const third = replica.submit(new Uint8Array([2])) // index 2, term 2
      await clock.sleep(300)
      raft.term = 3
      raft.next = 2
      const fourth = replica.submit(new Uint8Array([2])) // index 2, term 3
      expect(await third).to.deep.equal({ ok: false, error: 'TIMEOUT' })
      raft.command(2, 3)
      expect(await fourth).to.deep.equal({ ok: true, result: 2 })
    })
  })

  it('an installed snapshot answers WRONG_LEADER to the waiters at or below its index and keeps the later ones', async () => {
    await withReplica({}, async ({ raft, sm, replica }) => {
      const at = [1, 2, 3].map((i) => replica.submit(new Uint8Array([i])))
      raft.installSnapshot(2)
      expect(sm.restored).to.equal(1)
      expect(replica.appliedIndex()).to.equal(2)
      expect(await at[0]).to.deep.equal({ ok: false, error: 'WRONG_LEADER' })
      expect(await at[1]).to.deep.equal({ ok: false, error: 'WRONG_LEADER' })
      raft.command(3)
      expect(await at[2]).to.deep.equal({ ok: true, result: 3 })
    })
  })

  it('kill(): pending submits and reads answer STOPPED, later ones too, and the Raft is killed once', async () => {
    await withReplica({}, async ({ clock, raft, replica }) => {
      const pending = replica.submit(new Uint8Array([1]))
      raft.readIndexAnswer = () => Promise.resolve(5)
      const read = replica.read()
      await clock.sleep(1) // read() waits for index 5
      const t0 = clock.now()
      await replica.kill()
      expect(raft.killed).to.equal(true)
      expect(await pending).to.deep.equal({ ok: false, error: 'STOPPED' })
      expect(await read).to.deep.equal({ ok: false, error: 'STOPPED' })
      expect(clock.now()).to.equal(t0) // at once, not at their deadlines
      expect(replica.isLeader()).to.equal(false)
      expect(await replica.submit(new Uint8Array([2]))).to.deep.equal({
        ok: false,
        error: 'STOPPED',
      })
      expect(await replica.read()).to.deep.equal({ ok: false, error: 'STOPPED' })
      raft.killed = false
      await replica.kill()
      expect(raft.killed).to.equal(false)
      raft.command(1) // an entry applied after kill() changes nothing
      expect(replica.appliedIndex()).to.equal(0)
    })
  })

  it('read(): WRONG_LEADER when not leading or when readIndex fails, TIMEOUT when it does not answer in time', async () => {
    await withReplica({}, async ({ clock, raft, replica }) => {
      raft.leader = false
      expect(await replica.read()).to.deep.equal({ ok: false, error: 'WRONG_LEADER' })
      raft.leader = true
      raft.readIndexAnswer = () => Promise.reject(new Error('deposed'))
      expect(await replica.read()).to.deep.equal({ ok: false, error: 'WRONG_LEADER' })
      raft.readIndexAnswer = () => new Promise<number>(() => undefined)
      const t0 = clock.now()
      expect(await replica.read()).to.deep.equal({ ok: false, error: 'TIMEOUT' })
      expect(clock.now() - t0).to.equal(800)
      raft.readIndexAnswer = () => Promise.resolve(0)
      expect(await replica.read()).to.deep.equal({ ok: true })
      expect(clock.pending()).to.equal(0) // its timer is cleared
    })
  })

  it('read(): waits until the read index is applied, within what is left of its 800 ms', async () => {
    await withReplica({}, async ({ clock, raft, replica }) => {
      raft.readIndexAnswer = () => clock.sleep(300).then(() => 2)
      let t0 = clock.now()
      let answered = false
      const read = replica.read().finally(() => (answered = true))
      await clock.sleep(400)
      raft.command(1)
      await clock.sleep(1)
      expect(answered).to.equal(false) // index 1 applied, 2 not yet
      raft.command(2)
      expect(await read).to.deep.equal({ ok: true })
      expect(clock.now() - t0).to.equal(401)
      // Index 3 never applied: TIMEOUT 800 ms after the call (300 of them in readIndex).
      raft.readIndexAnswer = () => clock.sleep(300).then(() => 3)
      t0 = clock.now()
      expect(await replica.read()).to.deep.equal({ ok: false, error: 'TIMEOUT' })
      expect(clock.now() - t0).to.equal(800)
      // An index already applied answers at once.
      raft.readIndexAnswer = () => Promise.resolve(2)
      t0 = clock.now()
      expect(await replica.read()).to.deep.equal({ ok: true })
      expect(clock.now()).to.equal(t0)
    })
  })

  it('read(): STOPPED when readIndex fails because the replica was killed meanwhile', async () => {
    await withReplica({}, async ({ clock, raft, replica }) => {
      raft.readIndexAnswer = () => clock.sleep(100).then(() => Promise.reject(new Error('stopped')))
      const read = replica.read()
      await clock.sleep(50)
      await replica.kill()
      expect(await read).to.deep.equal({ ok: false, error: 'STOPPED' })
    })
  })

  it('read() on a Raft without readIndex throws', async () => {
    await withReplica({}, async ({ raft, replica }) => {
      ;(raft as { readIndex?: unknown }).readIndex = undefined
      let error: unknown
      await replica.read().catch((e: unknown) => (error = e))
      expect(error).to.be.instanceOf(Error)
      expect((error as Error).message).to.match(/readIndex/)
    })
  })

  it('snapshots: at the threshold (not below it), once per applied index, never past an installed snapshot, one at a time', async () => {
    let bytes = 99
    const clock = new SimulatedClock()
    const raft = new ScriptRaft()
    let applied = 0
    new Replica({
      raft,
      stateMachine: new Echo(),
      clock,
      maxRaftState: 100,
      storageSize: () => ({ raftStateBytes: bytes, snapshotBytes: 0 }),
      onApplied: () => applied++,
    })
    raft.command(1)
    await settle()
    expect(raft.snapshots).to.deep.equal([]) // 99 < 100
    bytes = 100
    raft.noop(2)
    await settle()
    expect(raft.snapshots).to.deep.equal([2])
    raft.installSnapshot(5)
    await settle()
    expect(raft.snapshots).to.deep.equal([2]) // the state is the installed snapshot's
    // While a snapshot is being taken, entries applied meanwhile wait for it to finish, then
    // the next one covers them all.
    let finish: () => void = () => undefined
    raft.snapshotAnswer = () => new Promise<void>((resolve) => (finish = resolve))
    raft.command(6)
    raft.command(7)
    raft.command(8)
    await settle()
    expect(raft.snapshots).to.deep.equal([2, 6])
    raft.snapshotAnswer = () => Promise.resolve()
    finish()
    await settle()
    expect(raft.snapshots).to.deep.equal([2, 6, 8])
    expect(applied).to.equal(6) // onApplied after each entry and snapshot
  })

  it('snapshots: never with maxRaftState 0 or -1', async () => {
    for (const maxRaftState of [0, -1]) {
      const raft = new ScriptRaft()
      new Replica({
        raft,
        stateMachine: new Echo(),
        clock: new SimulatedClock(),
        maxRaftState,
        storageSize: () => ({ raftStateBytes: 1e9, snapshotBytes: 0 }),
      })
      raft.command(1)
      await settle()
      expect(raft.snapshots, `maxRaftState ${maxRaftState}`).to.deep.equal([])
    }
  })

  it('a failed snapshot is logged with its index and error, unless the replica was killed; none is started after kill()', async () => {
    const lines: Array<[string, Record<string, unknown> | undefined]> = []
    const logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (msg: string, fields?: Record<string, unknown>) => lines.push([msg, fields]),
      error: () => undefined,
    }
    const raft = new ScriptRaft()
    const replica = new Replica({
      raft,
      stateMachine: new Echo(),
      clock: new SimulatedClock(),
      maxRaftState: 1,
      storageSize: () => ({ raftStateBytes: 10, snapshotBytes: 0 }),
      logger,
    })
    raft.snapshotAnswer = () => Promise.reject(new Error('disk full'))
    raft.command(1)
    await settle()
    expect(lines).to.deep.equal([['snapshot failed', { index: 1, error: 'Error: disk full' }]])
    // A snapshot still running at kill(): its failure is not logged, and the entries applied
    // meanwhile start no other one.
    let fail: (e: Error) => void = () => undefined
    raft.snapshotAnswer = () => new Promise<void>((_resolve, reject) => (fail = reject))
    raft.command(2)
    raft.command(3)
    await replica.kill()
    fail(new Error('stopped'))
    await settle()
    expect(lines).to.have.length(1)
    let finish: () => void = () => undefined
    const raft2 = new ScriptRaft()
    const replica2 = new Replica({
      raft: raft2,
      stateMachine: new Echo(),
      clock: new SimulatedClock(),
      maxRaftState: 1,
      storageSize: () => ({ raftStateBytes: 10, snapshotBytes: 0 }),
    })
    raft2.snapshotAnswer = () => new Promise<void>((resolve) => (finish = resolve))
    raft2.command(1)
    raft2.command(2)
    await replica2.kill()
    finish()
    await settle()
    expect(raft2.snapshots).to.deep.equal([1])
  })
})

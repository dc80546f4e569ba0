/**
 * storageConformance(): the behaviour every raftkit Storage must have, as mocha tests.
 * Registration is synchronous and cheap; each test gets a fresh harness (a fresh location) and
 * closes and destroys it afterwards. Tests that need durability are pending when the adapter's
 * `Storage.capabilities.durable` is false: read from each opened instance, or, when the options
 * restate `capabilities`, from those (and a test checks the instance declares the same).
 */
import { expect } from 'chai'
import type { Storage, StorageCapabilities } from '@raftkit/raft-core'
import { ConfigError, EMPTY_HARD_STATE, RaftError } from '@raftkit/raft-core'
import { describeEntries, describeState, entry, range, snapshot } from './fixtures.js'

/** One storage location: open() opens it (again, after close), destroy() removes it. */
export interface StorageConformanceHarness {
  open(): Promise<Storage>
  destroy(): Promise<void>
}

export interface StorageSuiteOptions {
  readonly name: string
  /**
   * What the adapter promises; `durable` gates the reopen tests. Optional: by default the suite
   * reads `capabilities` from each storage it opens. When given, the durability group is
   * registered (or skipped) up front and a test checks that the instances declare the same.
   */
  readonly capabilities?: StorageCapabilities
  createHarness(): Promise<StorageConformanceHarness>
}

function validateOptions(o: StorageSuiteOptions): void {
  if (typeof o !== 'object' || o === null)
    throw new ConfigError('options', 'pass { name, capabilities, createHarness }')
  if (typeof o.name !== 'string' || o.name === '')
    throw new ConfigError('name', 'a non-empty string naming the adapter')
  const caps = o.capabilities as unknown as Partial<Record<string, unknown>> | undefined
  if (caps === undefined) {
    if (typeof o.createHarness !== 'function')
      throw new ConfigError(
        'createHarness',
        'a function returning { open(), destroy() } for a fresh location',
      )
    return
  }
  if (typeof caps !== 'object' || caps === null)
    throw new ConfigError('capabilities', 'pass { durable, atomicBatch }, or leave it out')
  for (const key of Object.keys(caps)) {
    if (key !== 'durable' && key !== 'atomicBatch')
      throw new ConfigError(`capabilities.${key}`, 'unknown capability')
  }
  if (typeof caps.durable !== 'boolean' || typeof caps.atomicBatch !== 'boolean') {
    throw new ConfigError('capabilities', 'durable and atomicBatch must be booleans')
  }
  if (typeof o.createHarness !== 'function') {
    throw new ConfigError(
      'createHarness',
      'a function returning { open(), destroy() } for a fresh location',
    )
  }
}

/** Per-test state: the harness and the storage currently open on it. */
class Fixture {
  storage: Storage | undefined
  constructor(readonly harness: StorageConformanceHarness) {}

  get s(): Storage {
    if (!this.storage) throw new Error('storage is not open')
    return this.storage
  }

  async open(): Promise<Storage> {
    this.storage = await this.harness.open()
    return this.storage
  }

  async reopen(): Promise<Storage> {
    await this.s.close()
    return this.open()
  }

  async teardown(): Promise<void> {
    await this.storage?.close()
    await this.harness.destroy()
  }
}

async function expectRejects(p: Promise<unknown>, code: string): Promise<void> {
  let error: unknown
  await p.catch((e: unknown) => {
    error = e
  })
  expect(error, 'expected a rejection').to.be.instanceOf(RaftError)
  expect((error as RaftError).code).to.equal(code)
}

export function storageConformance(options: StorageSuiteOptions): void {
  validateOptions(options)
  const { capabilities } = options

  describe(`storage conformance: ${options.name}`, function () {
    const ctx: { f?: Fixture } = {}
    const f = (): Fixture => {
      if (!ctx.f) throw new Error('no fixture')
      return ctx.f
    }

    beforeEach(async function () {
      ctx.f = new Fixture(await options.createHarness())
      await ctx.f.open()
    })
    afterEach(async function () {
      await ctx.f?.teardown()
      ctx.f = undefined
    })

    registerBasics(f)
    registerLog(f)
    registerSnapshots(f)
    registerBatches(f)
    registerLifecycle(f)
    if (capabilities) {
      it('declares the capabilities it is registered with (Storage.capabilities)', function () {
        expect(f().s.capabilities).to.deep.equal(capabilities)
      })
    }
    ;(capabilities === undefined || capabilities.durable ? describe : describe.skip)(
      'durability (capabilities.durable)',
      function () {
        if (capabilities === undefined) {
          beforeEach(function () {
            if (!f().s.capabilities.durable) this.skip()
          })
        }
        registerDurability(f)
      },
    )
  })
}

type GetFixture = () => Fixture

function registerBasics(f: GetFixture): void {
  it('loads the initial state from empty storage', async function () {
    const state = await f().s.load()
    expect(state.hardState).to.deep.equal(EMPTY_HARD_STATE)
    expect(state.snapshot).to.equal(undefined)
    expect(state.entries).to.deep.equal([])
  })

  it('round-trips hard state, the latest write winning', async function () {
    await f().s.write({ hardState: { term: 3, votedFor: 'n2', commit: 0 }, sync: true })
    expect((await f().s.load()).hardState).to.deep.equal({ term: 3, votedFor: 'n2', commit: 0 })
    await f().s.write({ hardState: { term: 4, votedFor: null, commit: 7 }, sync: true })
    expect((await f().s.load()).hardState).to.deep.equal({ term: 4, votedFor: null, commit: 7 })
  })

  it('reports sizes that follow the log and the snapshot', async function () {
    const s = f().s
    const empty = s.size()
    await s.write({ entries: range(1, 20, 1), sync: true })
    const full = s.size()
    expect(full.raftStateBytes).to.be.greaterThan(empty.raftStateBytes)
    await s.compact(snapshot(15, 1, 'x'.repeat(100)))
    const compacted = s.size()
    expect(compacted.raftStateBytes).to.be.lessThan(full.raftStateBytes)
    expect(compacted.snapshotBytes).to.equal(100)
  })
}

function registerLog(f: GetFixture): void {
  it('keeps appends in order across batches, with kinds and payloads', async function () {
    const s = f().s
    await s.write({ entries: range(1, 3, 1), sync: true })
    await s.write({
      entries: [{ index: 4, term: 1, kind: 'noop', data: new Uint8Array() }],
      sync: true,
    })
    await s.write({ entries: range(5, 6, 2), sync: true })
    expect(describeEntries((await s.load()).entries)).to.deep.equal([
      '1@1:command:1@1',
      '2@1:command:2@1',
      '3@1:command:3@1',
      '4@1:noop:',
      '5@2:command:5@2',
      '6@2:command:6@2',
    ])
  })

  it('applies writes issued without waiting in call order', async function () {
    const s = f().s
    await Promise.all([
      s.write({ entries: range(1, 3, 1), sync: true }),
      s.write({ entries: range(4, 6, 1), sync: false }),
      s.write({ entries: range(3, 4, 2), sync: true }),
      s.write({ hardState: { term: 2, votedFor: 'a', commit: 2 }, sync: true }),
    ])
    const state = await s.load()
    expect(describeEntries(state.entries)).to.deep.equal(
      describeEntries([...range(1, 2, 1), ...range(3, 4, 2)]),
    )
    expect(state.hardState).to.deep.equal({ term: 2, votedFor: 'a', commit: 2 })
  })

  it('truncates the stored suffix when an append overlaps it (conflict)', async function () {
    const s = f().s
    await s.write({ entries: range(1, 5, 1), sync: true })
    await s.write({ entries: range(3, 4, 2, 'new'), sync: true })
    expect(describeEntries((await s.load()).entries)).to.deep.equal([
      '1@1:command:1@1',
      '2@1:command:2@1',
      '3@2:command:3@2new',
      '4@2:command:4@2new',
    ])
  })

  it('rejects a gap in the log with a StorageError and changes nothing', async function () {
    const s = f().s
    await s.write({ entries: range(1, 3, 1), sync: true })
    await expectRejects(
      s.write({
        entries: range(5, 6, 1),
        hardState: { term: 9, votedFor: null, commit: 0 },
        sync: true,
      }),
      'RAFT_STORAGE',
    )
    const state = await s.load()
    expect(describeEntries(state.entries)).to.deep.equal(describeEntries(range(1, 3, 1)))
    expect(state.hardState).to.deep.equal(EMPTY_HARD_STATE)
  })

  it('rejects entries at compacted indexes with a StorageError', async function () {
    const s = f().s
    await s.write({ entries: range(1, 6, 1), sync: true })
    await s.compact(snapshot(4, 1))
    await expectRejects(s.write({ entries: range(3, 7, 2), sync: true }), 'RAFT_STORAGE')
    expect(describeEntries((await s.load()).entries)).to.deep.equal(describeEntries(range(5, 6, 1)))
  })
}

function registerSnapshots(f: GetFixture): void {
  it('a snapshot written in a batch drops the entries it covers and keeps later ones', async function () {
    const s = f().s
    await s.write({ entries: range(1, 10, 1), sync: true })
    await s.write({ snapshot: snapshot(6, 1), sync: true })
    const state = await s.load()
    expect(describeState(state).snapshot).to.equal('6@1:snap 6@1')
    expect(describeEntries(state.entries)).to.deep.equal(describeEntries(range(7, 10, 1)))
  })

  it('a snapshot that does not match the log discards the whole log', async function () {
    const s = f().s
    await s.write({ entries: range(1, 10, 1), sync: true })
    await s.write({ snapshot: snapshot(6, 3), sync: true })
    const state = await s.load()
    expect(describeState(state).snapshot).to.equal('6@3:snap 6@3')
    expect(state.entries).to.deep.equal([])
    await s.write({ entries: range(7, 8, 3), sync: true })
    expect(describeEntries((await s.load()).entries)).to.deep.equal(describeEntries(range(7, 8, 3)))
  })

  it('compact() drops the entries up to and including the snapshot index and keeps the rest', async function () {
    const s = f().s
    await s.write({ entries: range(1, 10, 1), sync: true })
    await s.compact(snapshot(7, 1))
    await s.write({ entries: range(11, 12, 1), sync: true })
    const state = await s.load()
    expect(describeState(state).snapshot).to.equal('7@1:snap 7@1')
    expect(describeEntries(state.entries)).to.deep.equal(describeEntries(range(8, 12, 1)))
    await s.compact(snapshot(12, 1, 'all'))
    const after = await s.load()
    expect(describeState(after).snapshot).to.equal('12@1:all')
    expect(after.entries).to.deep.equal([])
  })

  it('rejects a snapshot older than the stored one and keeps the newer', async function () {
    const s = f().s
    await s.write({ entries: range(1, 10, 1), sync: true })
    await s.compact(snapshot(8, 1))
    await expectRejects(s.write({ snapshot: snapshot(5, 1), sync: true }), 'RAFT_STORAGE')
    const state = await s.load()
    expect(describeState(state).snapshot).to.equal('8@1:snap 8@1')
    expect(describeEntries(state.entries)).to.deep.equal(describeEntries(range(9, 10, 1)))
  })
}

function registerBatches(f: GetFixture): void {
  it('applies a batch in the order snapshot, entries, hard state', async function () {
    const s = f().s
    await s.write({ entries: range(1, 10, 1), sync: true })
    // Snapshot first: (6, term 2) does not match, so the log is discarded, then 7..8 appended.
    // Entries first would have appended 7..8 and then lost them to the mismatching snapshot.
    await s.write({
      snapshot: snapshot(6, 2),
      entries: range(7, 8, 2),
      hardState: { term: 2, votedFor: 'n1', commit: 8 },
      sync: true,
    })
    const state = await s.load()
    expect(describeState(state)).to.deep.equal({
      hardState: { term: 2, votedFor: 'n1', commit: 8 },
      snapshot: '6@2:snap 6@2',
      entries: describeEntries(range(7, 8, 2)),
    })
  })

  it('installs a snapshot with the entries after it on an empty log', async function () {
    const s = f().s
    await s.write({ snapshot: snapshot(10, 2), entries: [entry(11, 2), entry(12, 3)], sync: true })
    const state = await s.load()
    expect(describeState(state).snapshot).to.equal('10@2:snap 10@2')
    expect(describeEntries(state.entries)).to.deep.equal(
      describeEntries([entry(11, 2), entry(12, 3)]),
    )
  })
}

function registerLifecycle(f: GetFixture): void {
  it('close() is idempotent', async function () {
    const s = f().s
    await s.close()
    await s.close()
    await Promise.all([s.close(), s.close()])
  })

  it('rejects writes and loads after close with a StoppedError', async function () {
    const s = f().s
    await s.write({ entries: range(1, 2, 1), sync: true })
    await s.close()
    await expectRejects(s.write({ entries: range(3, 3, 1), sync: true }), 'RAFT_STOPPED')
    await expectRejects(s.load(), 'RAFT_STOPPED')
  })
}

function registerDurability(f: GetFixture): void {
  it('reopening returns exactly what was written before close', async function () {
    const s = f().s
    await s.write({
      entries: range(1, 10, 1),
      hardState: { term: 1, votedFor: 'n1', commit: 2 },
      sync: true,
    })
    await s.write({ entries: range(8, 12, 2), sync: true })
    await s.compact(snapshot(5, 1))
    await s.write({ hardState: { term: 2, votedFor: null, commit: 9 }, sync: true })
    const before = describeState(await s.load())
    const reopened = await f().reopen()
    expect(describeState(await reopened.load())).to.deep.equal(before)
    expect(before.entries).to.deep.equal(describeEntries([...range(6, 7, 1), ...range(8, 12, 2)]))
  })

  it('keeps working after a reopen, and a second reopen sees both sessions', async function () {
    await f().s.write({ entries: range(1, 3, 1), sync: true })
    const second = await f().reopen()
    await second.write({
      entries: range(3, 5, 2),
      hardState: { term: 2, votedFor: 'x', commit: 4 },
      sync: true,
    })
    const third = await f().reopen()
    const state = await third.load()
    expect(describeEntries(state.entries)).to.deep.equal(
      describeEntries([...range(1, 2, 1), ...range(3, 5, 2)]),
    )
    expect(state.hardState).to.deep.equal({ term: 2, votedFor: 'x', commit: 4 })
  })

  it('keeps unsynced writes that completed before a clean close', async function () {
    await f().s.write({ entries: range(1, 4, 1), sync: false })
    const reopened = await f().reopen()
    expect(describeEntries((await reopened.load()).entries)).to.deep.equal(
      describeEntries(range(1, 4, 1)),
    )
  })
}

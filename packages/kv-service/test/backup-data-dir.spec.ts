/**
 * `raftkit backup save FILE --data-dir DIR` in process (runCli) on a storage directory written
 * through the storage API: a snapshot, then entries past the stored commit index with a noop,
 * a configuration entry, a malformed entry and a session's retried append. The backup's state
 * equals that of a state machine that applied the same commands (the retry not run twice), at
 * the last entry's index and term; every file of the directory is unchanged. Refused with exit
 * 2 and no file written: a directory a running storage holds, a damaged log, a snapshot that
 * does not decode, an empty, a foreign and a missing directory, a FILE inside the directory.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import type { Entry } from '@raftkit/raft-core'
import { encodeMembership } from '@raftkit/raft-core'
import { createFileStorage } from '@raftkit/storage-fs'
import { decodeBackup } from '../src/backup-format.js'
import { backupFromDataDir } from '../src/config/data-dir-backup.js'
import { DataDirError } from '../src/errors.js'
import type { KvCommand } from '../src/ops.js'
import { encodeCommand } from '../src/ops.js'
import { decodeSnapshot } from '../src/snapshot-format.js'
import { KvStateMachine } from '../src/state-machine.js'
import { dirContents } from './dir-contents.js'
import { cli } from './cli-in-process.js'

const VOTERS = { voters: ['n1', 'n2', 'n3'], learners: [], outgoing: [] }
const put = (seq: number, key: string, value: string): KvCommand => ({
  op: 'put',
  clientId: 'c1',
  seq,
  key,
  value,
})
const append = (seq: number, key: string, value: string): KvCommand => ({
  op: 'append',
  clientId: 'c1',
  seq,
  key,
  value,
})

/** Up to the snapshot (index 3, term 1). */
const BEFORE: KvCommand[] = [{ op: 'open', clientId: 'c1' }, put(1, 'a', '1'), put(2, 'b', '2')]
/** After it: index 4 on, [term, kind, command]; commit is stored as 6. */
const AFTER: Array<[number, Entry['kind'], KvCommand | Uint8Array]> = [
  [2, 'noop', new Uint8Array(0)],
  [2, 'command', append(3, 'log', 'x')],
  [2, 'config', encodeMembership({ ...VOTERS, voters: ['n1', 'n2'] })],
  [3, 'command', append(3, 'log', 'x')], // the client's retry of seq 3: answered, not rerun
  [3, 'command', new Uint8Array([0xc1, 0x00])], // not a kv command: skipped
  [3, 'command', put(4, 'c', '3')],
]
const COMMIT = 6

const bytesOf = (c: KvCommand | Uint8Array): Uint8Array =>
  c instanceof Uint8Array ? c : encodeCommand(c)

describe('raftkit backup save --data-dir (in process)', function () {
  this.timeout(60_000)
  let dir: string
  let dataDir: string
  let file: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftkit-backup-dd-'))
    dataDir = join(dir, 'n1')
    file = join(dir, 'out.rkb')
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  /** A stopped node's directory: the snapshot at 3, then AFTER, commit `commit`. */
  async function writeNode(commit = COMMIT): Promise<void> {
    const sm = new KvStateMachine()
    BEFORE.forEach((c, i) => sm.apply(encodeCommand(c), i + 1))
    const s = await createFileStorage({ dir: dataDir })
    try {
      await s.write({
        snapshot: { meta: { index: 3, term: 1, membership: VOTERS }, data: sm.snapshot() },
        entries: AFTER.map(([term, kind, c], i) => ({
          index: 4 + i,
          term,
          kind,
          data: bytesOf(c),
        })),
        hardState: { term: 3, votedFor: 'n1', commit },
        sync: true,
      })
    } finally {
      await s.close()
    }
  }

  it('applies every entry, also past the commit index, as the apply path does; the directory is unchanged', async () => {
    await writeNode()
    const before = await dirContents(dataDir)
    const r = await cli(['backup', 'save', file, '--data-dir', dataDir])
    expect(r.code, r.err).to.equal(0)
    expect(await dirContents(dataDir)).to.deep.equal(before)
    const last = 3 + AFTER.length
    expect(r.out).to.include(
      `snapshot at index 3, ${AFTER.length} log entries after it; last index ${last}, term 3; ` +
        `stored commit index ${COMMIT}, ${last - COMMIT} entries past it included`,
    )
    expect(r.out).to.match(/saved .*out\.rkb \(offline\): index 9, term 3, 4 keys, 1 sessions/)
    expect(r.err).to.include('skipped a malformed log entry')

    const backup = decodeBackup(await readFile(file))
    expect([backup.index, backup.term]).to.deep.equal([last, 3])
    expect(backup.members, 'the last configuration entry').to.deep.equal(['n1', 'n2'])
    // The same commands applied to a state machine directly, at their indexes.
    const reference = new KvStateMachine()
    BEFORE.forEach((c, i) => reference.apply(encodeCommand(c), i + 1))
    AFTER.forEach(([, kind, c], i) => {
      if (kind === 'command') reference.apply(bytesOf(c), 4 + i)
    })
    expect(backup.state).to.deep.equal(decodeSnapshot(reference.snapshot()))
    expect(Object.fromEntries(backup.state.data)).to.deep.equal({
      a: '1',
      b: '2',
      log: 'x',
      c: '3',
    })
    expect(backup.state.sessions.get('c1')?.seq).to.equal(4)
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).to.deep.equal([])
  })

  it('refuses a directory a running storage holds: exit 2, locked, nothing written', async () => {
    await writeNode()
    const s = await createFileStorage({ dir: dataDir })
    try {
      const r = await cli(['backup', 'save', file, '--data-dir', dataDir])
      expect(r.code).to.equal(2)
      expect(r.err).to.include(`cannot back up ${dataDir} (locked)`).and.include('in use')
    } finally {
      await s.close()
    }
    expect(await readdir(dir)).to.deep.equal(['n1'])
  })

  it('refuses a damaged log, naming the file, and writes nothing', async () => {
    await writeNode()
    const wal = (await readdir(dataDir)).find((n) => n.endsWith('.wal')) as string
    const bytes = await readFile(join(dataDir, wal))
    bytes[30] = (bytes[30] as number) ^ 0x5a
    await writeFile(join(dataDir, wal), bytes)
    const r = await cli(['backup', 'save', file, '--data-dir', dataDir])
    expect(r.code).to.equal(2)
    expect(r.err).to.include('(corrupt)').and.include(join(dataDir, wal))
    expect(await readdir(dir)).to.deep.equal(['n1'])
  })

  it('refuses a snapshot that is not a state machine snapshot (corrupt), writing nothing', async () => {
    const s = await createFileStorage({ dir: dataDir })
    try {
      await s.write({
        snapshot: { meta: { index: 3, term: 1, membership: VOTERS }, data: new Uint8Array([1]) },
        hardState: { term: 1, votedFor: null, commit: 3 },
        sync: true,
      })
    } finally {
      await s.close()
    }
    const r = await cli(['backup', 'save', file, '--data-dir', dataDir])
    expect(r.code).to.equal(2)
    expect(r.err).to.include(`cannot back up ${dataDir} (corrupt): its snapshot at index 3`)
    expect(await readdir(dir)).to.deep.equal(['n1'])
  })

  it('refuses an empty, a foreign and a missing directory, creating nothing', async () => {
    await mkdir(dataDir)
    let r = await cli(['backup', 'save', file, '--data-dir', dataDir])
    expect(r.code).to.equal(2)
    expect(r.err).to.include(`cannot back up ${dataDir} (empty)`)
    await writeFile(join(dataDir, 'notes.txt'), 'not raft state')
    r = await cli(['backup', 'save', file, '--data-dir', dataDir])
    expect(r.code).to.equal(2)
    expect(r.err).to.include(`cannot back up ${dataDir} (foreign)`)
    expect(await readdir(dataDir)).to.deep.equal(['notes.txt'])
    const missing = join(dir, 'nope')
    r = await cli(['backup', 'save', file, '--data-dir', missing])
    expect(r.code).to.equal(2)
    expect(r.err).to.include(`cannot back up ${missing} (missing)`)
    expect((await readdir(dir)).sort()).to.deep.equal(['n1'])
  })

  it('refuses a FILE inside the data directory and flags meant for a live cluster', async () => {
    await writeNode()
    const before = await dirContents(dataDir)
    let r = await cli(['backup', 'save', join(dataDir, 'b.rkb'), '--data-dir', dataDir])
    expect(r.code).to.equal(2)
    expect(r.err).to.include('outside the data directory')
    r = await cli(['backup', 'save', file, '--data-dir', dataDir, '--endpoints', '127.0.0.1:1'])
    expect(r.code).to.equal(2)
    expect(r.err).to.include('--endpoints has no use')
    expect(await dirContents(dataDir)).to.deep.equal(before)
  })

  /** A directory written through the storage API: `entries` (no snapshot unless given). */
  async function writeLog(
    entries: Entry[],
    snapshot?: { index: number; term: number; data: Uint8Array; noMembership?: boolean },
  ): Promise<void> {
    const s = await createFileStorage({ dir: dataDir })
    try {
      await s.write({
        ...(snapshot
          ? {
              snapshot: {
                meta: {
                  index: snapshot.index,
                  term: snapshot.term,
                  ...(snapshot.noMembership ? {} : { membership: VOTERS }),
                },
                data: snapshot.data,
              },
            }
          : {}),
        entries,
        hardState: { term: 1, votedFor: null, commit: 0 },
        sync: true,
      })
    } finally {
      await s.close()
    }
  }
  const command = (index: number, c: KvCommand): Entry => ({
    index,
    term: 1,
    kind: 'command',
    data: encodeCommand(c),
  })

  /** The DataDirError backupFromDataDir rejects with, as "problem: message". */
  async function refusal(path: string): Promise<string> {
    try {
      await backupFromDataDir(path)
    } catch (e) {
      if (e instanceof DataDirError) return `${e.problem}: ${e.message}`
      throw e
    }
    throw new Error('backupFromDataDir did not refuse')
  }

  it('reports the snapshot index, the entries replayed, the stored commit and those past it', async () => {
    await writeNode(5)
    const r = await backupFromDataDir(dataDir)
    expect({ ...r, bytes: undefined, backup: undefined }).to.deep.equal({
      bytes: undefined,
      backup: undefined,
      snapshotIndex: 3,
      entries: AFTER.length,
      commit: 5,
      pastCommit: 4,
    })
  })

  it('a log of one entry and no snapshot is saved at that entry; members from the snapshot else', async () => {
    await writeLog([command(1, { op: 'open', clientId: 'c9' })])
    const r = await backupFromDataDir(dataDir, { now: () => new Date(0) })
    expect([r.backup.index, r.backup.term, r.snapshotIndex]).to.deep.equal([1, 1, 0])
    expect(r.backup.members, 'no configuration anywhere').to.deep.equal([])
    expect(r.backup.createdAt).to.equal('1970-01-01T00:00:00.000Z')
    expect([...r.backup.state.sessions.keys()]).to.deep.equal(['c9'])
    await rm(dataDir, { recursive: true })
    const sm = new KvStateMachine()
    sm.apply(encodeCommand({ op: 'open', clientId: 'c1' }), 1)
    await writeLog([command(2, put(1, 'k', 'v'))], { index: 1, term: 1, data: sm.snapshot() })
    const s = await backupFromDataDir(dataDir)
    expect(s.backup.members, "the snapshot's voters").to.deep.equal(['n1', 'n2', 'n3'])
    expect(Object.fromEntries(s.backup.state.data)).to.deep.equal({ k: 'v' })
    await rm(dataDir, { recursive: true })
    const old = { index: 1, term: 1, data: sm.snapshot(), noMembership: true }
    await writeLog([command(2, put(1, 'k', 'v'))], old)
    const o = await backupFromDataDir(dataDir)
    expect(o.backup.members, 'a snapshot without a configuration').to.deep.equal([])
  })

  it('takes the members from a configuration entry that is the first entry after the snapshot', async () => {
    const sm = new KvStateMachine()
    sm.apply(encodeCommand({ op: 'open', clientId: 'c1' }), 1)
    const config = encodeMembership({ ...VOTERS, voters: ['n7'] })
    await writeLog(
      [{ index: 2, term: 1, kind: 'config', data: config }, command(3, put(1, 'k', 'v'))],
      {
        index: 1,
        term: 1,
        data: sm.snapshot(),
      },
    )
    expect((await backupFromDataDir(dataDir)).backup.members).to.deep.equal(['n7'])
  })

  it('refuses a configuration entry that does not decode (corrupt), naming its index', async () => {
    await writeLog([
      command(1, { op: 'open', clientId: 'c1' }),
      { index: 2, term: 1, kind: 'config', data: new Uint8Array([0xff, 0x01]) },
    ])
    expect(await refusal(dataDir)).to.match(
      /^corrupt: .*the configuration entry at index 2 does not decode: /,
    )
  })

  it('replays with the session expiry window it is given', async () => {
    const log = [
      command(1, { op: 'open', clientId: 'c1' }),
      command(2, { op: 'open', clientId: 'c2' }),
      command(3, { op: 'put', clientId: 'c2', seq: 1, key: 'k', value: 'v' }),
      command(4, { op: 'put', clientId: 'c2', seq: 2, key: 'k', value: 'w' }),
    ]
    await writeLog(log)
    const sessions = async (sessionExpiryEntries?: number): Promise<string[]> => {
      const r = await backupFromDataDir(dataDir, { sessionExpiryEntries })
      return [...r.backup.state.sessions.keys()]
    }
    expect(await sessions(1), 'window 1: c1, idle since index 1, expired').to.deep.equal(['c2'])
    expect(await sessions(), 'the default window').to.deep.equal(['c1', 'c2'])
  })

  it('says why a snapshot cannot be restored', async () => {
    await writeLog([], { index: 3, term: 1, data: new Uint8Array([1]) })
    expect(await refusal(dataDir)).to.match(/^corrupt: .*its snapshot at index 3: .*not an object/)
  })

  it('names why a directory cannot be read: missing, a file, a name too long; empty but lost+found', async () => {
    expect(await refusal(join(dir, 'nope')))
      .to.include('missing: ')
      .and.include('there is no such directory')
    await writeFile(join(dir, 'plain'), 'x')
    expect(await refusal(join(dir, 'plain')))
      .to.include('missing: ')
      .and.include('it is not a directory')
    expect(await refusal(join(dir, 'x'.repeat(300)))).to.match(
      /missing: .*it cannot be read: ENAMETOOLONG/,
    )
    await mkdir(join(dataDir, 'lost+found'), { recursive: true })
    expect(await refusal(dataDir))
      .to.include('empty: ')
      .and.include('the directory is empty')
    await writeFile(join(dataDir, 'notes.txt'), '')
    expect(await refusal(dataDir)).to.include(
      "it holds no raftkit write-ahead log (2 other file(s)): not a node's data directory",
    )
  })

  it('a log with no entry and no snapshot is "empty"', async () => {
    await writeLog([])
    expect(await refusal(dataDir))
      .to.include('empty: ')
      .and.include('its log holds no entry and no snapshot')
  })

  it('an I/O error that is not damage is passed on, not reported as a corrupt directory', async () => {
    await writeNode()
    const wal = (await readdir(dataDir)).find((n) => n.endsWith('.wal')) as string
    await rm(join(dataDir, wal))
    await mkdir(join(dataDir, wal))
    const e = await backupFromDataDir(dataDir).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(e).to.be.instanceOf(Error).and.not.instanceOf(DataDirError)
    expect((e as NodeJS.ErrnoException).code).to.equal('EISDIR')
  })
})

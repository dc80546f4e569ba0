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
import { runCli } from '../src/cli/commands.js'
import type { KvCommand } from '../src/ops.js'
import { encodeCommand } from '../src/ops.js'
import { decodeSnapshot } from '../src/snapshot-format.js'
import { KvStateMachine } from '../src/state-machine.js'
import { dirContents } from './dir-contents.js'

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await runCli(argv, {
    out: (t) => (out += t),
    err: (t) => (err += t),
    interrupted: new Promise<void>(() => undefined),
  })
  return { code, out, err }
}

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

  /** A stopped node's directory: the snapshot at 3, then AFTER, commit COMMIT. */
  async function writeNode(): Promise<void> {
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
        hardState: { term: 3, votedFor: 'n1', commit: COMMIT },
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
})

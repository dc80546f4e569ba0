/** Membership state on disk: configuration entries in the WAL, the configuration in snapshots. */
import { expect } from 'chai'
import { encodeMembership, decodeMembership } from '@raftkit/raft-core'
import type { Entry, Membership } from '@raftkit/raft-core'
import { createFileStorage } from '../src/index.js'
import { entries, removeDir, tempDir } from './helpers.js'

const joint: Membership = { voters: ['a', 'b', 'd'], learners: ['e'], outgoing: ['a', 'b', 'c'] }
const final: Membership = { voters: ['a', 'b', 'd'], learners: ['e'], outgoing: [] }

function configEntry(index: number, m: Membership): Entry {
  return { index, term: 1, kind: 'config', data: encodeMembership(m) }
}

describe('Membership persistence in storage-fs', () => {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  it('Membership: configuration entries keep their kind and bytes across a restart', async () => {
    const s = await createFileStorage({ dir })
    await s.write({
      entries: [...entries(1, 2), configEntry(3, joint), configEntry(4, final)],
      hardState: { term: 1, votedFor: 'a', commit: 4 },
      sync: true,
    })
    await s.close()
    const r = await createFileStorage({ dir })
    const state = await r.load()
    await r.close()
    expect(state.entries.map((e) => e.kind)).to.deep.equal([
      'command',
      'command',
      'config',
      'config',
    ])
    expect(decodeMembership(state.entries[2]!.data)).to.deep.equal(joint)
    expect(decodeMembership(state.entries[3]!.data)).to.deep.equal(final)
  })

  it('Membership: a snapshot keeps the configuration at its index, from compaction and from the leader', async () => {
    const s = await createFileStorage({ dir })
    await s.write({
      entries: entries(1, 5),
      hardState: { term: 1, votedFor: null, commit: 5 },
      sync: true,
    })
    await s.compact({ meta: { index: 3, term: 1, membership: final }, data: new Uint8Array([1]) })
    await s.close()
    let r = await createFileStorage({ dir })
    expect((await r.load()).snapshot?.meta).to.deep.equal({ index: 3, term: 1, membership: final })
    // A snapshot received from the leader (in a write batch) replaces it.
    await r.write({
      snapshot: { meta: { index: 9, term: 2, membership: joint }, data: new Uint8Array([2]) },
      hardState: { term: 2, votedFor: null, commit: 9 },
      sync: true,
    })
    await r.close()
    r = await createFileStorage({ dir })
    const state = await r.load()
    await r.close()
    expect(state.snapshot?.meta).to.deep.equal({ index: 9, term: 2, membership: joint })
    expect(state.entries).to.deep.equal([])
  })

  it('Membership: a snapshot written without a configuration loads without one', async () => {
    const s = await createFileStorage({ dir })
    await s.write({
      entries: entries(1, 2),
      hardState: { term: 1, votedFor: null, commit: 2 },
      sync: true,
    })
    await s.compact({ meta: { index: 2, term: 1 }, data: new Uint8Array([1]) })
    await s.close()
    const r = await createFileStorage({ dir })
    expect((await r.load()).snapshot?.meta).to.deep.equal({ index: 2, term: 1 })
    await r.close()
  })
})

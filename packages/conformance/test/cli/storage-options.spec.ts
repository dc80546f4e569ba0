/**
 * raftkit-conformance --storage-options: FileStorage options for --storage fs. The command line
 * is checked (keys here, values by FileStorage) before any run, the options reach every node's
 * FileStorage, and a failure's replay line repeats them.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { UsageError, parseCli } from '../../src/cli/args.js'
import { loadStorage } from '../../src/cli/adapters.js'
import type { FileStorageHarness } from '../../src/raft/fs-storage-harness.js'
import type { StorageOptions } from '../../src/cli/args.js'

const cli = fileURLToPath(new URL('../../src/cli/conformance.ts', import.meta.url))

function usageError(argv: readonly string[]): string {
  try {
    parseCli(argv)
  } catch (e) {
    expect(e).to.be.instanceOf(UsageError)
    return (e as Error).message
  }
  return expect.fail(`parseCli accepted ${argv.join(' ')}`)
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (e) {
    return e as Error
  }
  return expect.fail('expected a rejection')
}

/** One synced append on a fresh node's FileStorage from the CLI's factory; its counters. */
async function oneSyncedAppend(options?: StorageOptions) {
  const h = (await (await loadStorage('fs', options))('n1')) as FileStorageHarness
  try {
    const s = await h.open()
    await s.write({
      entries: [{ index: 1, term: 1, kind: 'command', data: new Uint8Array([1]) }],
      hardState: { term: 1, votedFor: 'n1', commit: 0 },
      sync: true,
    })
    return h.stats()
  } finally {
    await h.destroy()
  }
}

describe('raftkit-conformance --storage-options', function () {
  this.timeout(60_000)

  it('parses a JSON object of FileStorage options with --storage fs', () => {
    const o = parseCli(['--storage', 'fs', '--storage-options', '{"inlineSync":"never"}'])
    expect(o.storageOptions).to.deep.equal({ inlineSync: 'never' })
    expect(parseCli(['--storage', 'fs']).storageOptions).to.equal(undefined)
  })

  it('refuses what is not a JSON object of known keys, or without --storage fs', () => {
    expect(usageError(['--storage', 'fs', '--storage-options', '[1]'])).to.equal(
      '--storage-options must be a JSON object, got "[1]"',
    )
    expect(usageError(['--storage', 'fs', '--storage-options', '{inlineSync:1}'])).to.contain(
      'must be a JSON object',
    )
    expect(
      usageError(['--storage', 'fs', '--storage-options', '{"inlineSync":"never","dir":"/x"}']),
    ).to.equal(
      '--storage-options: unknown key "dir" (accepted: inlineSync, sync, segmentBytes, preallocateBytes)',
    )
    expect(usageError(['--storage', 'fs', '--storage-options', '{"sync":null}'])).to.contain(
      '"sync" is null',
    )
    expect(usageError(['--storage-options', '{"inlineSync":"never"}'])).to.contain(
      'it needs --storage fs',
    )
  })

  it('has FileStorage check the values before any run', async () => {
    const e = await rejection(loadStorage('fs', { inlineSync: 'sometimes' as 'never' }))
    expect(e).to.be.instanceOf(UsageError)
    expect(e.message).to.equal(
      `--storage-options: inlineSync must be 'when-idle' or 'never', got sometimes`,
    )
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--conditions=@raftkit/source', cli, '--storage', 'fs'].concat([
        '--storage-options',
        '{"segmentBytes":10}',
      ]),
      { encoding: 'utf8' },
    )
    expect(r.status).to.equal(2)
    expect(r.stderr).to.contain(
      '--storage-options: segmentBytes must be an integer >= 1024, got 10',
    )
  })

  it("reaches every node's FileStorage: inlineSync 'never' keeps fdatasync off the main thread", async () => {
    // A fresh log is idle: by default (when-idle) its first fdatasync runs on the main thread.
    expect(await oneSyncedAppend()).to.include({ syncs: 1, inlineSyncs: 1 })
    expect(await oneSyncedAppend({ inlineSync: 'never' })).to.include({
      syncs: 1,
      inlineSyncs: 0,
    })
  })

  it('is repeated in the replay line of a failure', () => {
    // Election timeouts far above the lab's budget: the run fails and prints its replay line.
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--conditions=@raftkit/source', cli].concat([
        '--grep',
        '^TestInitialElection2A$',
        '--seeds',
        '1',
        '--storage',
        'fs',
        '--storage-options',
        '{"inlineSync":"never","segmentBytes":4096}',
        '--raft',
        '{"electionTimeoutMinMs":8000,"electionTimeoutMaxMs":16000,"heartbeatIntervalMs":1000}',
      ]),
      { encoding: 'utf8' },
    )
    expect(r.status).to.equal(1)
    expect(r.stdout).to.contain(
      `--seed 1 --raft '{"electionTimeoutMinMs":8000,"electionTimeoutMaxMs":16000,"heartbeatIntervalMs":1000}' --storage fs --storage-options '{"inlineSync":"never","segmentBytes":4096}'`,
    )
  })
})

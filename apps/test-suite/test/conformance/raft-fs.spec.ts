// The Raft lab scenarios over transport-memory + storage-fs FileStorage (real files in a
// temporary directory per node; a crash closes the storage and the restart reopens the
// directory). Simulated clock: file I/O takes no simulated time (see IoSequencer).
//
// The default run takes a representative subset (2A, and the 2B/2C/2D scenarios that crash
// and restart nodes); RAFTKIT_FS=all runs all 28 scenarios (or:
// `npm run conformance:fs -w @raftkit/conformance`).
import { createMemoryNetwork } from '@raftkit/transport-memory'
import { raftScenarios } from '@raftkit/conformance/raft'
import { fileStorage } from '@raftkit/conformance/storage-fs'

const SUBSET =
  /2A$|^TestBasicAgree2B$|^TestFailAgree2B$|^TestPersist[123]2C$|^TestSnapshotInstallCrash2D$|^TestSnapshotAllCrash2D$|^TestSnapshotInit2D$/

raftScenarios({
  name: 'transport-memory + FileStorage',
  clock: 'sim',
  ...(process.env['RAFTKIT_FS'] === 'all' ? {} : { grep: SUBSET }),
  createNetwork: (_ids, { seed, clock }) => createMemoryNetwork({ seed, clock }),
  createStorage: fileStorage(),
})

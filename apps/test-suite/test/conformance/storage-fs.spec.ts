import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFileStorage } from '@raftkit/storage-fs'
import { storageConformance } from '@raftkit/conformance/storage'

for (const sync of ['always', 'never'] as const) {
  storageConformance({
    name: `storage-fs (sync: '${sync}', 4 KiB segments)`,
    capabilities: { durable: true, atomicBatch: true },
    async createHarness() {
      const dir = await mkdtemp(join(tmpdir(), 'raftkit-storage-conformance-'))
      return {
        open: () => createFileStorage({ dir, sync, segmentBytes: 4096 }),
        destroy: () => rm(dir, { recursive: true, force: true }),
      }
    },
  })
}

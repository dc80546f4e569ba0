import { MemoryStorage } from '@raftkit/raft-core'
import { storageConformance } from '@raftkit/conformance/storage'

storageConformance({
  name: 'raft-core MemoryStorage',
  async createHarness() {
    const storage = new MemoryStorage()
    return { open: async () => storage, destroy: async () => undefined }
  },
})

import { defineConfig } from 'tsup'

// Every peer (raft-core, kv-service, storage-fs, transport-ws) and dependency stays external:
// each entry loads only what it imports.
export default defineConfig([
  {
    entry: {
      'raft/index': 'src/raft/index.ts',
      'storage/index': 'src/storage/index.ts',
      'kv/index': 'src/kv/index.ts',
      'storage-fs/index': 'src/storage-fs/index.ts',
      'shard/index': 'src/shard/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
  },
  {
    entry: { 'cli/conformance': 'src/cli/conformance.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
  },
])

import { defineConfig } from 'tsup'

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      'cluster/index': 'src/cluster/index.ts',
      'storage/index': 'src/storage/index.ts',
      'linearizability/index': 'src/linearizability/index.ts',
      'kv/index': 'src/kv/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
  },
  {
    entry: { 'cli/conformance': 'src/cli/conformance.ts', 'cli/chaos': 'src/cli/chaos.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
])

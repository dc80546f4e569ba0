import { defineConfig } from 'tsup'

export default defineConfig([
  {
    // `./chaos` (the chaos monkey as a library) is a subpath of its own, so that importing the
    // package root never loads it. shims: the CJS build gets an import.meta.url.
    entry: { index: 'src/index.ts', 'chaos/index': 'src/chaos/index.ts' },
    format: ['esm', 'cjs'],
    shims: true,
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
  },
  {
    // The `raftkit` command line: ESM only, executable. main.ts loads the commands with a
    // dynamic import (after installing its signal handlers), which esbuild emits as a chunk:
    // kept next to main.js, because the commands locate main.js from their own file
    // (cliInvocation in cli/local-cluster.ts).
    entry: { 'cli/main': 'src/cli/main.ts' },
    esbuildOptions(options) {
      options.chunkNames = 'cli/[name]-[hash]'
    },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
])

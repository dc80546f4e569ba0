import { defineConfig } from 'tsup'

export default defineConfig({
  // `./cli` (the sharded commands of `raftkit`) is a subpath of its own, so that importing the
  // package root never loads the node and CLI code.
  entry: { index: 'src/index.ts', 'cli/index': 'src/cli/index.ts' },
  format: ['esm', 'cjs'],
  shims: true,
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
})

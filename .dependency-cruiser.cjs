// Import circles and the package layering (docs/architecture.md), checked by `npm run depcheck`.
// Paths are the sources: @raftkit/* resolve through the workspace to packages/*/src (the
// @raftkit/source export condition).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import circles, within a package or across packages.',
      from: { path: '^(packages|apps)/' },
      to: { circular: true },
    },
    {
      name: 'raft-core-is-the-bottom',
      severity: 'error',
      comment: 'raft-core (the algorithm, the interfaces) depends on no other raftkit package.',
      from: { path: '^packages/raft-core/src/' },
      to: { path: '^(packages/(?!raft-core/)|apps/)' },
    },
    {
      name: 'adapters-and-checker-above-raft-core-only',
      severity: 'error',
      comment:
        'transport-memory, transport-ws and storage-fs implement raft-core interfaces and use ' +
        'nothing else of raftkit; linearizability uses nothing of raftkit.',
      from: { path: '^packages/(transport-memory|transport-ws|storage-fs|linearizability)/src/' },
      to: { path: '^(packages/(?!raft-core/)|apps/)', pathNot: '^packages/$1/' },
    },
    {
      name: 'linearizability-is-standalone',
      severity: 'error',
      from: { path: '^packages/linearizability/src/' },
      to: { path: '^(packages/(?!linearizability/)|apps/)' },
    },
    {
      name: 'kv-service-layer',
      severity: 'error',
      comment:
        'kv-service builds on raft-core, transport-ws, storage-fs and linearizability (the chaos ' +
        'monkey), never on the test networks, the suites or the private app.',
      from: { path: '^packages/kv-service/src/' },
      to: { path: '^(packages/(transport-memory|conformance|multiraft|shardkv)/|apps/)' },
    },
    {
      name: 'storage-and-raft-suites-stay-light',
      severity: 'error',
      comment:
        'The /storage and /raft suites load neither kv-service nor storage-fs (only /kv, ' +
        '/storage-fs and the runner do).',
      from: {
        path: '^packages/conformance/src/(storage|raft)/',
        pathNot: 'fs-storage-harness\\.ts$',
      },
      to: { path: '^packages/(kv-service|storage-fs)/' },
    },
    {
      name: 'no-package-depends-on-the-private-app',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^apps/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules|\\.readme-examples)/' },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    enhancedResolveOptions: {
      conditionNames: ['@raftkit/source', 'import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
      exportsFields: ['exports'],
      mainFields: ['module', 'main', 'types'],
    },
    tsConfig: { fileName: 'tsconfig.base.json' },
  },
}

// StrykerJS configuration for `npm run mutation` (see run.mjs and TESTING.md at the repo root).
// Paths are relative to the repository root, where run.mjs starts Stryker.
const groups = {
  // raft-core's algorithm files, against raft-core's own tests.
  'raft-core': {
    mutate: [
      'packages/raft-core/src/core.ts',
      'packages/raft-core/src/dispatch.ts',
      'packages/raft-core/src/election.ts',
      'packages/raft-core/src/ticks.ts',
      'packages/raft-core/src/vote-tally.ts',
      'packages/raft-core/src/replication.ts',
      'packages/raft-core/src/log.ts',
      'packages/raft-core/src/packed-segments.ts',
      'packages/raft-core/src/progress.ts',
      'packages/raft-core/src/quorum.ts',
      'packages/raft-core/src/read-index.ts',
      'packages/raft-core/src/snapshot-transfer.ts',
    ],
    // The core-level tests (RawNode, the test Network, paper tests, properties). The runtime's
    // tests (raft, pipeline, simulated disk, apply queue) drive the same code through timers
    // and cost minutes per surviving mutant; they are for runtime.ts, which is not mutated here.
    spec: [
      'packages/raft-core/test/paper/*.spec.ts',
      'packages/raft-core/test/properties/*.spec.ts',
      'packages/raft-core/test/known-bugs.spec.ts',
      'packages/raft-core/test/log.spec.ts',
      'packages/raft-core/test/log-rules.spec.ts',
      'packages/raft-core/test/packed-entries.spec.ts',
      'packages/raft-core/test/packed-segments.spec.ts',
      'packages/raft-core/test/progress.spec.ts',
      'packages/raft-core/test/quorum.spec.ts',
      'packages/raft-core/test/quorum-rules.spec.ts',
      'packages/raft-core/test/raw-node.spec.ts',
      'packages/raft-core/test/read-index-queue.spec.ts',
      'packages/raft-core/test/ready-order.spec.ts',
    ],
  },
  // Membership, learners and leadership transfer (issue 13; TESTING.md session 16), against
  // every raft-core spec: the runtime's specs exercise membership-runtime.ts and the runtime
  // API of the others (the whole set runs in seconds).
  membership: {
    mutate: [
      'packages/raft-core/src/confchange.ts',
      'packages/raft-core/src/membership-change.ts',
      'packages/raft-core/src/membership.ts',
      'packages/raft-core/src/leadership-transfer.ts',
      'packages/raft-core/src/membership-runtime.ts',
    ],
    spec: ['packages/raft-core/test/**/*.spec.ts'],
  },
  // raft-core's runtime (TESTING.md session 20): the Ready pump (persist, then send, then apply,
  // then advance), its storage chain, the apply stream, ReadIndex reads, and the runtime around
  // them, against every raft-core spec (the runtime specs drive these files; the whole set runs
  // in about 8 s with RAFT_PROPERTY_RUNS=10, and perTest coverage runs only a mutant's tests).
  runtime: {
    mutate: [
      'packages/raft-core/src/runtime-pump.ts',
      'packages/raft-core/src/runtime-storage.ts',
      'packages/raft-core/src/apply-queue.ts',
      'packages/raft-core/src/runtime-reads.ts',
      'packages/raft-core/src/runtime.ts',
      'packages/raft-core/src/snapshot-receiver.ts',
      'packages/raft-core/src/restored-state.ts',
    ],
    spec: ['packages/raft-core/test/**/*.spec.ts'],
  },
  // kv-service's replicated state machine, against its unit tests.
  kv: {
    mutate: ['packages/kv-service/src/state-machine.ts'],
    spec: [
      'packages/kv-service/test/address-book.spec.ts',
      'packages/kv-service/test/state-machine.spec.ts',
      'packages/kv-service/test/state-machine-rules.spec.ts',
    ],
  },
  // kv-service's request path (TESTING.md session 20): the clerk's retries, leader hints and
  // session sequence numbers, and the server's write, read (ReadIndex) and hold paths, against
  // the package's in-process specs in simulated time (scripted Raft, scripted network, the
  // transport-memory cluster; about 5 s in all). Left out: the multi-process, CLI, TLS, HTTP
  // and chaos specs (real sockets and clocks, seconds to minutes each).
  'kv-server': {
    mutate: [
      'packages/kv-service/src/client.ts',
      'packages/kv-service/src/backoff.ts',
      'packages/kv-service/src/pending-writes.ts',
      'packages/kv-service/src/read-index.ts',
      'packages/kv-service/src/server.ts',
      'packages/kv-service/src/leader-wait.ts',
      'packages/kv-service/src/apply-stream.ts',
      'packages/kv-service/src/session-entry.ts',
      'packages/kv-service/src/command-fast.ts',
      'packages/kv-service/src/replies.ts',
      'packages/kv-service/src/deadline.ts',
    ],
    spec: [
      'packages/kv-service/test/client.spec.ts',
      'packages/kv-service/test/client-rules.spec.ts',
      'packages/kv-service/test/server-unit.spec.ts',
      'packages/kv-service/test/pending-writes-rules.spec.ts',
      'packages/kv-service/test/read-index-rules.spec.ts',
      'packages/kv-service/test/server-rules.spec.ts',
      'packages/kv-service/test/server-start.spec.ts',
      'packages/kv-service/test/apply-stream-rules.spec.ts',
      'packages/kv-service/test/leader-wait-rules.spec.ts',
      'packages/kv-service/test/backoff.spec.ts',
      'packages/kv-service/test/server-hold.spec.ts',
      'packages/kv-service/test/server.spec.ts',
      'packages/kv-service/test/command-fast.spec.ts',
      'packages/kv-service/test/session-digest.spec.ts',
      'packages/kv-service/test/memory-rpc.spec.ts',
    ],
  },
  // shardkv's deterministic, replicated cores (TESTING.md session 16): the controller's
  // placement rule and state machine, and the sharded KV's state machine, against every shardkv
  // spec (the whole set, the HTTP ones included, runs in about 4 s).
  shardkv: {
    mutate: [
      'packages/shardkv/src/rebalance.ts',
      'packages/shardkv/src/ctrler/state-machine.ts',
      'packages/shardkv/src/kv/state-machine.ts',
    ],
    spec: ['packages/shardkv/test/*.spec.ts'],
  },
  // shardkv's servers (TESTING.md session 18): a replica group's server (serves clerks, polls
  // the controller, pulls and collects shards), the controller's server and the Replica under
  // both. They are driven by timers and RPCs, so they run against every shardkv spec (their
  // unit and HTTP tests, 3 s) and ten of the shard lab scenarios at seed 1 in simulated time
  // (about 4 s, a pure function of the seed): 4A's two (the controller), and the 4B ones that
  // each reach a part the others do not: a dead group (StaticShards), join/leave migrations
  // (JoinLeave), snapshots and restarts (Snapshot), replicas that miss configurations
  // (MissChange), an unreliable network (Unreliable1), shard deletion under maxRaftState 1
  // (Challenge1Delete), a migration half stuck (Challenge2Partial), sessions expiring across
  // migrations (SessionExpiryAcrossMigration). The other six 4B scenarios and 4A's seed 2
  // (about 8 s more per surviving mutant) repeat these paths under more load.
  'shardkv-servers': {
    mutate: [
      'packages/shardkv/src/kv/server.ts',
      'packages/shardkv/src/ctrler/server.ts',
      'packages/shardkv/src/replica.ts',
    ],
    spec: ['packages/shardkv/test/*.spec.ts', 'packages/conformance/test/shard/scenarios.spec.ts'],
    // Mocha's grep over full titles: every shardkv test, and the scenarios above at seed 1.
    grep:
      '^(?!Shard scenarios)|(TestBasic4A|TestMulti4A|TestStaticShards4B|TestJoinLeave4B|' +
      'TestSnapshot4B|TestMissChange4B|TestUnreliable14B|TestChallenge1Delete4B|' +
      'TestChallenge2Partial4B|TestSessionExpiryAcrossMigration4B) \\(seed 1\\)',
  },
  // storage-fs's record framing, WAL codec, recovery and files (TESTING.md "storage-fs"),
  // against its specs and the storage conformance suite over FileStorage. Left out: kill9.spec
  // and lock.spec (child processes, seconds each; lock.ts is not mutated).
  storage: {
    mutate: [
      'packages/storage-fs/src/record.ts',
      'packages/storage-fs/src/wal-codec.ts',
      'packages/storage-fs/src/recovery.ts',
      'packages/storage-fs/src/validate.ts',
      'packages/storage-fs/src/op-record.ts',
      'packages/storage-fs/src/log-state.ts',
      'packages/storage-fs/src/snapshot-file.ts',
      'packages/storage-fs/src/segments.ts',
      'packages/storage-fs/src/wal.ts',
      'packages/storage-fs/src/atomic-file.ts',
      'packages/storage-fs/src/preallocation.ts',
    ],
    spec: [
      'packages/storage-fs/test/!(kill9|lock).spec.ts',
      'apps/test-suite/test/conformance/storage-fs.spec.ts',
    ],
  },
  // transport-ws's decoders of remote bytes, its admission caps and its option checks
  // (TESTING.md "transport-ws"), against its specs but the two that fork a child process
  // (handles: exit without leaked handles; pre-auth-memory: a 64-connection, 285 MiB flood).
  transport: {
    mutate: [
      'packages/transport-ws/src/append-decode.ts',
      'packages/transport-ws/src/message-encode.ts',
      'packages/transport-ws/src/handshake.ts',
      'packages/transport-ws/src/admission.ts',
      'packages/transport-ws/src/bytes.ts',
      'packages/transport-ws/src/constants.ts',
      'packages/transport-ws/src/options.ts',
      'packages/transport-ws/src/repeat-log.ts',
    ],
    spec: ['packages/transport-ws/test/!(handles|pre-auth-memory).spec.ts'],
  },
  // The linearizability checker, the oracle every chaos run, conformance scenario and soak trusts
  // (TESTING.md "linearizability"), against its specs (about a second).
  checker: {
    mutate: [
      'packages/linearizability/src/search.ts',
      'packages/linearizability/src/entry-list.ts',
      'packages/linearizability/src/bitset.ts',
      'packages/linearizability/src/cache.ts',
      'packages/linearizability/src/checker.ts',
      'packages/linearizability/src/model.ts',
      'packages/linearizability/src/history.ts',
      'packages/linearizability/src/budget.ts',
      'packages/linearizability/src/explain.ts',
    ],
    spec: ['packages/linearizability/test/*.spec.ts'],
  },
}

const group = groups[process.env.MUTATION_GROUP ?? 'raft-core']
if (!group) throw new Error(`unknown MUTATION_GROUP ${process.env.MUTATION_GROUP}`)

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'mocha',
  plugins: ['@stryker-mutator/mocha-runner'],
  mutate: group.mutate,
  mochaOptions: {
    // MUTATION_SPEC (comma-separated paths or globs) narrows the run to some test files.
    spec: process.env.MUTATION_SPEC ? process.env.MUTATION_SPEC.split(',') : group.spec,
    ...(group.grep ? { grep: group.grep } : {}),
    // Pins fast-check's seed (FC_SEED, printed) so that results do not vary run to run.
    require: ['tools/mutation/fast-check-seed.mjs'],
  },
  // Mocha's node-option entries from .mocharc.json are not applied by the runner.
  testRunnerNodeArgs: ['--import', 'tsx', '--conditions=@raftkit/source'],
  coverageAnalysis: 'perTest',
  // The sandbox copy breaks tsconfig `extends`: mutate the files in place (restored afterwards),
  // which is why run.mjs refuses to run on a tree with uncommitted changes.
  inPlace: true,
  // tsx strips types without checking them, so no `// @ts-nocheck` is needed; with the default,
  // Stryker rewrites (and then restores) every source and test file of the repository in place,
  // losing their executable bits.
  disableTypeChecks: false,
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 2),
  timeoutMS: 3000,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: {
    fileName: `tools/mutation/reports/${process.env.MUTATION_GROUP ?? 'raft-core'}.json`,
  },
  htmlReporter: {
    fileName: `tools/mutation/reports/${process.env.MUTATION_GROUP ?? 'raft-core'}.html`,
  },
  clearTextReporter: {
    allowColor: false,
    logTests: false,
    reportMutants: true,
    reportScoreTable: true,
  },
  tempDirName: 'tools/mutation/.stryker-tmp',
  cleanTempDir: true,
  thresholds: { high: 90, low: 80, break: null },
}

/**
 * @packageDocumentation
 * The raftkit conformance suite. Subpath exports:
 * - `@raftkit/test-suite/cluster`: the classic Raft lab scenarios (2A–2D) over any Network and Storage.
 * - `@raftkit/test-suite/storage`: the storage conformance suite.
 * - `@raftkit/test-suite/kv`: the key/value lab scenarios (3A, 3B) over any Network and Storage.
 * - `@raftkit/test-suite/linearizability`: a Porcupine-style linearizability checker for key/value histories.
 */
export const SUITE_VERSION = '0.1.0'

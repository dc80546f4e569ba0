/**
 * @packageDocumentation
 * An in-process network for raftkit nodes: the chaos monkey of the test suite. Messages are
 * validated and copied (sized as the wire codec encodes them), may be dropped, delayed and reordered like the lab's labrpc
 * network, and are delivered by clock timers, so under a `SimulatedClock` with a fixed seed a
 * run replays exactly.
 *
 * @example
 * ```ts
 * import { SimulatedClock } from '@raftkit/raft-core'
 * import { createMemoryNetwork } from '@raftkit/transport-memory'
 *
 * const clock = new SimulatedClock()
 * const net = createMemoryNetwork({ seed: 1, clock })
 * const a = net.endpoint('a')
 * const b = net.endpoint('b')
 * b.listen((m) => console.log('b got', m.type, 'from', m.from))
 * a.send({ type: 'RequestVote', from: 'a', to: 'b', term: 1, lastLogIndex: 0, lastLogTerm: 0, preVote: false })
 * await clock.advance(0) // delivers
 * await net.close()
 * ```
 */
export { createMemoryNetwork } from './network.js'
export type { MemoryNetwork, MemoryNetworkOptions } from './network.js'
export { MemoryEndpoint } from './endpoint.js'

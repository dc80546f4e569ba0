/** Single-node fixtures: drive one RawNode by hand with crafted messages (raft_paper_test.go style). */
import type { CoreConfig } from '../../src/config.js'
import { MemoryLogger } from '../../src/logger.js'
import type {
  AppendEntries,
  AppendEntriesReply,
  InstallSnapshot,
  Message,
  RequestVote,
  RequestVoteReply,
} from '../../src/messages.js'
import { RawNode } from '../../src/raw-node.js'
import type { Ready } from '../../src/ready.js'
import { createRng } from '../../src/rng.js'
import type { Entry } from '../../src/types.js'
import { TEST_CONFIG, emptyStore, persist, restoredFrom, text, type Store } from './network.js'

export interface Fixture {
  readonly node: RawNode
  readonly store: Store
  readonly logger: MemoryLogger
  /** Every Ready handled so far. */
  readonly readies: Ready[]
  /** Handles all pending Readys like a driver (persist, then advance); returns their messages. */
  drain(): Message[]
}

export interface FixtureOptions {
  readonly id?: string
  readonly peers?: readonly string[]
  readonly config?: Partial<CoreConfig>
  readonly store?: Store
  readonly seed?: number
}

export function fixture(o: FixtureOptions = {}): Fixture {
  const store = o.store ?? emptyStore()
  const logger = new MemoryLogger()
  const node = new RawNode({
    id: o.id ?? 'a',
    peers: o.peers ?? ['a', 'b', 'c'],
    config: { ...TEST_CONFIG, ...o.config },
    restored: restoredFrom(store),
    rng: createRng(o.seed ?? 7),
    logger,
  })
  const readies: Ready[] = []
  return {
    node,
    store,
    logger,
    readies,
    drain(): Message[] {
      const out: Message[] = []
      while (node.hasReady()) {
        const rd = node.ready()
        readies.push(rd)
        persist(store, rd)
        out.push(...rd.messages)
        node.advance(rd)
      }
      return out
    },
  }
}

/** A store holding these entries (terms given by `terms`, indexes from 1) at `term`. */
export function storeWith(
  terms: readonly number[],
  term = Math.max(0, ...terms),
  commit = 0,
): Store {
  return {
    hardState: { term, votedFor: null, commit },
    entries: terms.map((t, i) => entry(i + 1, t)),
  }
}

export function entry(index: number, term: number, data = `${index}@${term}`): Entry {
  return { index, term, kind: 'command', data: text(data) }
}

type Fields<M> = Omit<M, 'type'>

export function ae(
  m: Partial<Fields<AppendEntries>> & { from: string; to: string; term: number },
): AppendEntries {
  return {
    type: 'AppendEntries',
    prevLogIndex: 0,
    prevLogTerm: 0,
    entries: [],
    leaderCommit: 0,
    ...m,
  }
}
export function aeReply(
  m: Partial<Fields<AppendEntriesReply>> & { from: string; to: string; term: number },
): AppendEntriesReply {
  return { type: 'AppendEntriesReply', success: true, matchIndex: 0, ...m }
}
export function vote(
  m: Partial<Fields<RequestVote>> & { from: string; to: string; term: number },
): RequestVote {
  return { type: 'RequestVote', lastLogIndex: 0, lastLogTerm: 0, preVote: false, ...m }
}
export function voteReply(
  m: Partial<Fields<RequestVoteReply>> & { from: string; to: string; term: number },
): RequestVoteReply {
  return { type: 'RequestVoteReply', granted: true, preVote: false, ...m }
}
export function snap(
  m: Partial<Fields<InstallSnapshot>> & { from: string; to: string; term: number },
): InstallSnapshot {
  return {
    type: 'InstallSnapshot',
    lastIncludedIndex: 1,
    lastIncludedTerm: 1,
    offset: 0,
    data: new Uint8Array(0),
    totalBytes: 0,
    done: true,
    ...m,
  }
}

export function ofType<T extends Message['type']>(
  msgs: readonly Message[],
  type: T,
): Array<Extract<Message, { type: T }>> {
  return msgs.filter((m): m is Extract<Message, { type: T }> => m.type === type)
}

/** Makes `f.node` leader of a 3-node cluster at term+1 by delivering votes by hand. */
export function becomeLeader(f: Fixture, voters: readonly string[] = ['b']): Message[] {
  f.node.campaign()
  let msgs = f.drain()
  const pre = ofType(msgs, 'RequestVote')
  if (pre[0]?.preVote) {
    for (const v of voters)
      f.node.step(voteReply({ from: v, to: f.node.id, term: pre[0].term, preVote: true }))
    msgs = f.drain()
  }
  const term = f.node.getState().term
  for (const v of voters) f.node.step(voteReply({ from: v, to: f.node.id, term }))
  return f.drain()
}

/** Answers the new leader's initial probes as followers whose logs match up to `match`. */
export function ackProbes(f: Fixture, match = 0, peers: readonly string[] = ['b', 'c']): Message[] {
  const term = f.node.getState().term
  for (const p of peers) f.node.step(aeReply({ from: p, to: f.node.id, term, matchIndex: match }))
  return f.drain()
}

/** Small builders and readable views of storage contents for the conformance tests. */
import type { Entry, PersistedState, Snapshot } from '@raftkit/raft-core'

export function entry(index: number, term: number, text = `${index}@${term}`): Entry {
  return { index, term, kind: 'command', data: new TextEncoder().encode(text) }
}

/** Entries from..to (inclusive) of one term. */
export function range(from: number, to: number, term: number, tag = ''): Entry[] {
  const out: Entry[] = []
  for (let i = from; i <= to; i++) out.push(entry(i, term, `${i}@${term}${tag}`))
  return out
}

export function snapshot(index: number, term: number, text = `snap ${index}@${term}`): Snapshot {
  return { meta: { index, term }, data: new TextEncoder().encode(text) }
}

/** Entries as "index@term:payload" strings, so a failed comparison is readable. */
export function describeEntries(entries: readonly Entry[]): string[] {
  return entries.map((e) => `${e.index}@${e.term}:${e.kind}:${new TextDecoder().decode(e.data)}`)
}

export function describeState(s: PersistedState): {
  hardState: PersistedState['hardState']
  snapshot: string | null
  entries: string[]
} {
  return {
    hardState: {
      term: s.hardState.term,
      votedFor: s.hardState.votedFor,
      commit: s.hardState.commit,
    },
    snapshot: s.snapshot
      ? `${s.snapshot.meta.index}@${s.snapshot.meta.term}:${new TextDecoder().decode(s.snapshot.data)}`
      : null,
    entries: describeEntries(s.entries),
  }
}

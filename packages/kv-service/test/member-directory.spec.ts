/**
 * MemberDirectory (membership.ts): which peers the transport may talk to as the configuration
 * changes. A member that the configuration in effect removed stays a peer until that
 * configuration commits: a leader that removes itself leads until then, and commits the removal
 * only with the remaining members' replies (session 18's soak: without this, 8 of 64 leader
 * self-removals ended "outcome unknown").
 */
import { expect } from 'chai'
import type { Membership } from '@raftkit/raft-core'
import { MemberDirectory } from '../src/membership.js'
import type { MemberAddress } from '../src/ops.js'

const voters = (...ids: string[]): Membership => ({ voters: ids, learners: [], outgoing: [] })
const at = (n: number): MemberAddress => ({
  peer: `127.0.0.1:${7000 + n}`,
  http: `127.0.0.1:${8000 + n}`,
})
const initial = new Map([1, 2, 3].map((n) => [`n${n}`, at(n)] as const))

function directory(state: { current: Membership; committed: Membership }): {
  dir: MemberDirectory
  told: Array<Record<string, string>>
} {
  const told: Array<Record<string, string>> = []
  const dir = new MemberDirectory({
    self: 'n1',
    initial,
    membership: () => state.current,
    committed: () => state.committed,
    book: () => new Map(),
    setPeers: (p) => told.push(p),
  })
  return { dir, told }
}

describe('MemberDirectory: peers through a membership change', () => {
  it('keeps a member that the configuration in effect removed until the removal commits', () => {
    const state = { current: voters('n1', 'n2', 'n3'), committed: voters('n1', 'n2', 'n3') }
    const { dir, told } = directory(state)
    expect(told).to.deep.equal([{ n2: at(2).peer, n3: at(3).peer }])
    // n3 (say, the leader) removed itself: the configuration is appended here, not committed.
    state.current = voters('n1', 'n2')
    dir.refresh()
    expect(told).to.have.length(1) // nothing changed: n3 must still hear this node's replies
    state.committed = voters('n1', 'n2')
    dir.refresh()
    expect(told.at(-1)).to.deep.equal({ n2: at(2).peer })
  })

  it('a member added by a configuration not yet committed is a peer at once', () => {
    const state = { current: voters('n1', 'n2'), committed: voters('n1', 'n2') }
    const { dir, told } = directory(state)
    state.current = { voters: ['n1', 'n2'], learners: ['n3'], outgoing: [] }
    dir.refresh()
    expect(told.at(-1)).to.deep.equal({ n2: at(2).peer, n3: at(3).peer })
  })

  it('a removal rolled back by a new leader before it committed never drops the member', () => {
    const state = { current: voters('n1', 'n2', 'n3'), committed: voters('n1', 'n2', 'n3') }
    const { dir, told } = directory(state)
    state.current = voters('n1', 'n2')
    dir.refresh()
    state.current = voters('n1', 'n2', 'n3') // the entry was overwritten
    dir.refresh()
    expect(told).to.deep.equal([{ n2: at(2).peer, n3: at(3).peer }])
  })

  it('a joining node (no configuration yet) talks to every address it was given', () => {
    const none: Membership = { voters: [], learners: [], outgoing: [] }
    const { told } = directory({ current: none, committed: none })
    expect(told).to.deep.equal([{ n2: at(2).peer, n3: at(3).peer }])
  })
})

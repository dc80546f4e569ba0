/**
 * Progress (the leader's view of one follower) as a state machine, tested on its own: the flow
 * control each state allows, what an acknowledgement moves, and the invariants every transition
 * keeps (no in-flight appends outside replicate state, no outstanding probe outside probe state,
 * a transfer only in snapshot state). Written from the survivors of the mutation run (TESTING.md).
 */
import { expect } from 'chai'
import { Progress } from '../src/progress.js'
import type { Snapshot } from '../src/types.js'

const snapshot: Snapshot = { meta: { index: 10, term: 2 }, data: new Uint8Array([1]) }

/** A progress in replicate state that matched `match` and has appends ending at `sent` in flight. */
function replicating(match: number, sent: number[]): Progress {
  const pr = new Progress(match + 1)
  pr.maybeUpdate(match)
  pr.becomeReplicate()
  let prev = match
  for (const last of sent) {
    pr.sentAppend(last, last - prev)
    prev = last
  }
  return pr
}

describe('Progress', () => {
  describe('a new follower', () => {
    it('starts in probe state at the given next index, matching nothing, nothing in flight', () => {
      const pr = new Progress(7)
      expect(pr.state).to.equal('probe')
      expect(pr.next).to.equal(7)
      expect(pr.match).to.equal(0)
      expect(pr.probeSent).to.equal(false)
      expect(pr.inflights).to.deep.equal([])
      expect(pr.transfer).to.equal(undefined)
      expect(pr.isPaused(1)).to.equal(false)
    })
  })

  describe('probe state: one append at a time', () => {
    it('an append (empty or not) pauses the follower until an acknowledgement that moves match comes', () => {
      const pr = new Progress(5)
      pr.sentAppend(4, 0)
      expect(pr.isPaused(64)).to.equal(true)
      expect(pr.next, 'probe sends do not advance next').to.equal(5)
      expect(pr.inflights).to.deep.equal([])
      pr.maybeUpdate(0) // an older acknowledgement (of nothing new) is no answer to the probe
      expect(pr.isPaused(64)).to.equal(true)
      pr.maybeUpdate(4)
      expect(pr.isPaused(64)).to.equal(false)
    })

    it('remembers the heartbeat round last sent when the probe went out', () => {
      const pr = new Progress(5)
      pr.heartbeatRound = 7
      pr.sentAppend(4, 0)
      pr.heartbeatRound = 8
      expect(pr.probeRound).to.equal(7)
    })

    it('becomeProbe never moves next to or below match, and clears the outstanding probe', () => {
      const pr = replicating(6, [8, 9])
      pr.becomeProbe(3)
      expect(pr.state).to.equal('probe')
      expect(pr.next).to.equal(7)
      expect(pr.probeSent).to.equal(false)
      expect(pr.isPaused(64)).to.equal(false)

      const ahead = new Progress(5)
      ahead.maybeUpdate(2)
      ahead.becomeProbe(9)
      expect(ahead.next, 'a hint above match + 1 is kept').to.equal(9)
    })

    it('becomeProbe drops the in-flight appends and any snapshot transfer', () => {
      const pr = replicating(3, [5, 6])
      pr.becomeProbe(4)
      expect(pr.inflights).to.deep.equal([])
      const snap = new Progress(1)
      snap.becomeSnapshot(snapshot)
      snap.becomeProbe(11)
      expect(snap.transfer).to.equal(undefined)
      expect(snap.state).to.equal('probe')
    })
  })

  describe('replicate state: streaming under maxInflight', () => {
    it('becomeReplicate resumes right after match with nothing in flight', () => {
      const pr = new Progress(9)
      pr.maybeUpdate(4)
      pr.sentAppend(8, 0) // a probe outstanding
      pr.becomeReplicate()
      expect(pr.state).to.equal('replicate')
      expect(pr.next).to.equal(5)
      expect(pr.probeSent).to.equal(false)
      expect(pr.inflights).to.deep.equal([])
      expect(pr.transfer).to.equal(undefined)
    })

    it('becomeReplicate ends a snapshot transfer', () => {
      const pr = new Progress(1)
      pr.becomeSnapshot(snapshot)
      pr.maybeUpdate(10)
      pr.becomeReplicate()
      expect(pr.transfer).to.equal(undefined)
      expect(pr.next).to.equal(11)
    })

    it('each append with entries advances next and counts as in flight, up to the limit', () => {
      const pr = replicating(2, [])
      pr.sentAppend(4, 2)
      expect(pr.next).to.equal(5)
      expect(pr.inflights).to.deep.equal([4])
      expect(pr.isPaused(2)).to.equal(false)
      pr.sentAppend(7, 3)
      expect(pr.inflights).to.deep.equal([4, 7])
      expect(pr.isPaused(2), 'paused at exactly maxInflight').to.equal(true)
      expect(pr.isPaused(3)).to.equal(false)
    })

    it('an empty append (a heartbeat-like commit notice) is not in flight and moves nothing', () => {
      const pr = replicating(2, [4])
      pr.sentAppend(4, 0)
      expect(pr.inflights).to.deep.equal([4])
      expect(pr.next).to.equal(5)
      expect(pr.isPaused(2)).to.equal(false)
      expect(pr.probeSent, 'no probe is outstanding in replicate state').to.equal(false)
    })

    it('an acknowledgement frees exactly the appends it covers, oldest first', () => {
      const pr = replicating(2, [4, 6, 9])
      expect(pr.maybeUpdate(5)).to.equal(true)
      expect(pr.inflights).to.deep.equal([6, 9])
      expect(pr.maybeUpdate(6)).to.equal(true)
      expect(pr.inflights, 'an append acknowledged at its exact last index is freed').to.deep.equal(
        [9],
      )
      expect(pr.maybeUpdate(9)).to.equal(true)
      expect(pr.inflights).to.deep.equal([])
      expect(pr.next).to.equal(10)
    })

    it('an acknowledgement above everything in flight frees it all', () => {
      const pr = replicating(1, [3, 4])
      pr.maybeUpdate(20)
      expect(pr.inflights).to.deep.equal([])
      expect(pr.next).to.equal(21)
    })
  })

  describe('maybeUpdate', () => {
    it('moves match forward only, and says whether it moved', () => {
      const pr = new Progress(10)
      expect(pr.maybeUpdate(4)).to.equal(true)
      expect(pr.match).to.equal(4)
      expect(pr.next, 'next is never lowered by an acknowledgement').to.equal(10)
      expect(pr.maybeUpdate(4), 'an equal match is not progress').to.equal(false)
      expect(pr.maybeUpdate(3), 'a stale acknowledgement').to.equal(false)
      expect(pr.match).to.equal(4)
      expect(pr.maybeUpdate(12)).to.equal(true)
      expect(pr.next, 'next moves past a match beyond it').to.equal(13)
    })

    it('a stale acknowledgement frees nothing in flight', () => {
      const pr = replicating(5, [7, 8])
      expect(pr.maybeUpdate(5)).to.equal(false)
      expect(pr.inflights).to.deep.equal([7, 8])
      expect(pr.next).to.equal(9)
    })
  })

  describe('snapshot state', () => {
    it('sends no appends and starts the transfer at offset 0', () => {
      const pr = replicating(1, [3])
      expect(pr.becomeSnapshot(snapshot), 'returns the new transfer').to.equal(pr.transfer)
      expect(pr.state).to.equal('snapshot')
      expect(pr.isPaused(64)).to.equal(true)
      expect(pr.transfer).to.deep.equal({ snapshot, offset: 0, ticksSinceSend: 0 })
      expect(pr.inflights).to.deep.equal([])
      expect(pr.probeSent).to.equal(false)
    })

    it('an append sent in snapshot state changes nothing', () => {
      const pr = new Progress(3)
      pr.becomeSnapshot(snapshot)
      pr.sentAppend(5, 2)
      expect(pr.next).to.equal(3)
      expect(pr.inflights).to.deep.equal([])
      expect(pr.probeSent).to.equal(false)
    })

    it('a probe outstanding before the snapshot is not outstanding after it', () => {
      const pr = new Progress(3)
      pr.sentAppend(2, 0)
      pr.becomeSnapshot(snapshot)
      expect(pr.probeSent).to.equal(false)
    })
  })
})

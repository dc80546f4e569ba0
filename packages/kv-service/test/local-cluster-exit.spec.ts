import { expect } from 'chai'
import { exitStatus } from '../src/cli/local-cluster.js'

describe('LocalCluster: how a node exit is reported (exitStatus)', () => {
  it('reports the exit code of a node that exited', () => {
    expect(exitStatus(0, null, true)).to.equal(0)
    expect(exitStatus(2, null, false)).to.equal(2)
  })

  it('counts death by the SIGTERM that stop() sent as a clean stop, as systemd does', () => {
    expect(exitStatus(null, 'SIGTERM', true)).to.equal(0)
  })

  it('reports -1 for any other death by signal', () => {
    expect(exitStatus(null, 'SIGTERM', false)).to.equal(-1) // nobody asked it to stop
    expect(exitStatus(null, 'SIGKILL', true)).to.equal(-1) // the grace period ran out
    expect(exitStatus(null, 'SIGSEGV', true)).to.equal(-1)
    expect(exitStatus(null, 'SIGINT', true)).to.equal(-1)
  })
})

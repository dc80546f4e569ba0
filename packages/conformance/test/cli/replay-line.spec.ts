/**
 * A failure's replay line repeats every flag that changes the run: a real-clock failure over
 * transport-ws and FileStorage must replay over them, not on simulated time over the in-memory
 * transport (which the mocha line it used to print runs).
 */
import { expect } from 'chai'
import { parseCli, replayFlags } from '../../src/cli/args.js'
import { describeFailure } from '../../src/raft/runner.js'

const scenario = { name: 'TestFigure8Unreliable2C' }

describe('raftkit-conformance replay line', () => {
  it('names --clock real and --transport ws with the other flags', () => {
    const o = parseCli(['--clock', 'real', '--transport', 'ws', '--storage', 'fs', '--seeds', '4'])
    expect(replayFlags(o)).to.equal('--clock real --transport ws --storage fs')
    expect(replayFlags(parseCli(['--clock', 'real']))).to.equal('--clock real')
    expect(replayFlags(parseCli([]))).to.equal('')
  })

  it('prints the CLI command with those flags for a real-clock failure', () => {
    const o = parseCli(['--clock', 'real', '--transport', 'ws', '--storage', 'fs'])
    const text = describeFailure(
      scenario,
      8001,
      o.clock,
      new Error('boom'),
      o.diskModel,
      replayFlags(o),
    )
    expect(text).to.equal(
      'TestFigure8Unreliable2C failed with seed 8001: boom\n' +
        "  replay: npx raftkit-conformance --grep '^TestFigure8Unreliable2C$' --seed 8001 " +
        '--clock real --transport ws --storage fs (real clock: timing may differ)',
    )
  })

  it('keeps the mocha line where no CLI flags are given (the mocha registration)', () => {
    expect(describeFailure(scenario, 3, 'real', new Error('x'))).to.contain(
      "replay: RAFTKIT_SEED=3 npx mocha --grep 'TestFigure8Unreliable2C' (real clock: timing may differ)",
    )
    expect(describeFailure(scenario, 3, 'sim', new Error('x'), true, '--storage fs')).to.contain(
      "replay: npx raftkit-conformance --grep '^TestFigure8Unreliable2C$' --seed 3 --storage fs",
    )
  })
})

// A failure prints the command that replays it: with the settings that changed the run, or a
// replay of the same seed runs something else and passes.
import { expect } from 'chai'
import { describeFailure } from '../../src/raft/runner.js'

describe('the replay line of a failure', () => {
  const scenario = { name: 'TestSpeed3B' }

  it('repeats --raft and --storage when the run had them (and offers no mocha line that would drop them)', () => {
    const line = describeFailure(
      scenario,
      114,
      'sim',
      new Error('too slow'),
      true,
      `--raft '{"pipelineLeaderAppends":true}' --storage fs`,
    )
    expect(line).to.contain(
      `replay: npx raftkit-conformance --grep '^TestSpeed3B$' --seed 114 --raft '{"pipelineLeaderAppends":true}' --storage fs`,
    )
    expect(line).not.to.contain('mocha')
  })

  it('names the disk model when it was off, and offers the mocha line for a default run', () => {
    expect(describeFailure(scenario, 7, 'sim', new Error('x'), false)).to.contain(
      `--seed 7 --disk-model off (memory adapters), or RAFTKIT_DISK_MODEL=off RAFTKIT_SEED=7 npx mocha`,
    )
    expect(describeFailure(scenario, 7, 'sim', new Error('x'))).to.contain(
      `--seed 7 (memory adapters), or RAFTKIT_SEED=7 npx mocha --grep 'TestSpeed3B'`,
    )
  })
})

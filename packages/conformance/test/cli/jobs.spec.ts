/**
 * raftkit-conformance --jobs: the seeds of a sweep on worker processes print exactly what one
 * process prints (failures with their replay commands, progress, summary), in the same order,
 * and the exit code is the same.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'

const cli = fileURLToPath(new URL('../../src/cli/conformance.ts', import.meta.url))

function run(args: readonly string[]): { status: number | null; lines: string[] } {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=@raftkit/source', cli, ...args],
    { encoding: 'utf8' },
  )
  // Only the closing line's wall time may differ.
  const lines = r.stdout.split('\n').filter((l) => !/wall time/.test(l))
  return { status: r.status, lines }
}

describe('raftkit-conformance --jobs', function () {
  this.timeout(120_000)

  it('prints the same lines, failures included, as one process', () => {
    // Election timeouts far above the lab's budget: every seed fails with a replay line.
    const args = [
      '--grep',
      '^TestInitialElection2A$',
      '--first-seed',
      '3',
      '--seeds',
      '3',
      '--raft',
      '{"electionTimeoutMinMs":8000,"electionTimeoutMaxMs":16000,"heartbeatIntervalMs":1000}',
    ]
    const one = run(args)
    const two = run([...args, '--jobs', '2'])
    expect(one.status).to.equal(1)
    expect(one.lines.filter((l) => l.includes('replay:'))).to.have.length(3)
    expect(two).to.deep.equal(one)
  })

  it('refuses --jobs with --seed', () => {
    const r = run(['--seed', '1', '--jobs', '2'])
    expect(r.status).to.equal(2)
  })
})

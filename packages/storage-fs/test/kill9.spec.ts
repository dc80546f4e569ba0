import { expect } from 'chai'
import { killSoak } from './kill9.js'
import { removeDir, tempDir } from './helpers.js'

describe('SIGKILL crash safety (child process)', function () {
  let dir: string
  beforeEach(async () => {
    dir = await tempDir('raftkit-kill9-')
  })
  afterEach(async () => {
    await removeDir(dir)
  })

  it('keeps every acknowledged entry, in order and intact, across 5 kills', async function () {
    this.timeout(60_000)
    const seed = Number(process.env.RAFTKIT_SEED ?? 7)
    const rounds: number[] = []
    const result = await killSoak(dir, 5, seed, (_i, r) => rounds.push(r.acked))
    expect(result.problems, `seed ${seed}`).to.deep.equal([])
    expect(result.lost).to.equal(0)
    // Each round continued the log, so the acknowledged index only grows.
    expect(rounds.every((a, i) => i === 0 || a >= (rounds[i - 1] ?? 0))).to.equal(true)
    expect(rounds.at(-1)).to.be.greaterThan(0)
  })
})

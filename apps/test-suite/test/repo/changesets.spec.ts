// The pending changesets make a release plan, and it is the one they ask for: changesets'
// own planner (what `changeset version` runs) reads every .changeset/*.md and the workspace.
// It refuses a changeset that names a private package (ignored) together with published ones,
// and it turns a peer dependent's range that the next version leaves into a major bump of
// the whole fixed @raftkit/* group; both once hid here (a `changeset version` would have
// published 1.0.0 from minor and patch changesets).
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import getReleasePlan from '@changesets/get-release-plan'
import { expect } from 'chai'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..')
const order = ['none', 'patch', 'minor', 'major'] as const

describe('changesets', function () {
  this.timeout(60_000)

  it('plan a release of every package at the largest bump a changeset asks for, no higher', async () => {
    const plan = await getReleasePlan(root)
    expect(plan.changesets.length, 'pending changesets').to.be.greaterThan(0)
    let asked = 0
    for (const c of plan.changesets)
      for (const r of c.releases) asked = Math.max(asked, order.indexOf(r.type))
    expect(plan.releases.length).to.be.greaterThan(0)
    for (const r of plan.releases) {
      expect(order.indexOf(r.type), `${r.name}: ${r.oldVersion} -> ${r.newVersion}`).to.be.at.most(
        asked,
      )
      if (order[asked] !== 'major')
        expect(r.newVersion.split('.')[0], `${r.name} ${r.newVersion}`).to.equal(
          r.oldVersion.split('.')[0],
        )
    }
  })
})

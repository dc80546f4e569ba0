// Every fenced TypeScript example in every README compiles and runs as written (against the
// sources, through the @raftkit/source condition). A README example that breaks fails here.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { allExamples } from '../../src/readme-examples.js'
import type { ExampleEnv } from '../../src/readme-runner.js'
import {
  compileExamples,
  freshCwd,
  removeCwd,
  runClusterNode,
  runMocha,
  runProgram,
  writeExamples,
} from '../../src/readme-runner.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..', '..', '..')
const require = createRequire(import.meta.url)
const examples = allExamples(root)
const env: ExampleEnv = {
  // Inside the workspace, so @raftkit/* resolve; ignored by git.
  dir: join(here, '..', '..', '.readme-examples'),
  nodeFlags: ['--import', import.meta.resolve('tsx'), '--conditions=@raftkit/source'],
  mochaBin: require.resolve('mocha/bin/mocha.js'),
  tscBin: require.resolve('typescript/bin/tsc'),
  extendsConfig: join(root, 'tsconfig.base.json'),
  compilerOptions: { noEmit: true, types: ['node', 'mocha'] },
}

describe('README examples', function () {
  before(function () {
    this.timeout(180_000)
    writeExamples(env, examples)
  })

  it('there are examples in the READMEs of every package', () => {
    const readmes = new Set(examples.map((e) => e.readme))
    for (const pkg of ['raft-core', 'transport-memory', 'transport-ws', 'storage-fs', 'kv-service'])
      expect(readmes, pkg).to.include(`packages/${pkg}/README.md`)
    expect(readmes).to.include('packages/linearizability/README.md')
    expect(readmes).to.include('packages/conformance/README.md')
    expect(examples.filter((e) => e.kind === 'cluster-node')).to.have.length.at.least(1)
  })

  it('all compile (tsc, strict)', function () {
    this.timeout(180_000)
    expect(compileExamples(env)).to.equal('')
  })

  for (const e of examples) {
    it(`${e.readme}:${e.line} runs (${e.kind})`, async function () {
      this.timeout(e.kind === 'cluster-node' ? 120_000 : 90_000)
      const cwd = freshCwd()
      try {
        if (e.kind === 'cluster-node') {
          const problem = await runClusterNode(env, e, cwd, 100_000)
          expect(problem, problem).to.equal(undefined)
          return
        }
        const run = e.kind === 'mocha' ? runMocha : runProgram
        for (let i = 1; i <= e.runs; i++) {
          const r = await run(env, e, cwd, 80_000)
          expect(r.code, `run ${i}: exit ${r.code ?? r.signal}\n${r.output}`).to.equal(0)
        }
      } finally {
        removeCwd(cwd)
      }
    })
  }
})

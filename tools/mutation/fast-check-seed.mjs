// Loaded by the Stryker mocha runner (mochaOptions.require): fixes fast-check's seed so a
// mutation run is reproducible. FC_SEED overrides it.
import fc from 'fast-check'

const seed = Number(process.env.FC_SEED ?? 20261204)
fc.configureGlobal({ seed })
if (!process.env.MUTATION_QUIET_SEED) console.log(`fast-check seed ${seed} (FC_SEED)`)

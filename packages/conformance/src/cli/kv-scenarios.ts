/** The key/value scenarios for the runner: loaded on demand (they import @raftkit/kv-service). */
export { runKvScenario } from '../kv/runner.js'
export { selectKvScenarios } from '../kv/scenarios/index.js'

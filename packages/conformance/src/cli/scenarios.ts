/**
 * Raft (2A–2D) and key/value (3A/3B) scenarios behind one interface, for the
 * raftkit-conformance runner: select both by --grep, run either with the same options.
 */
import { describeFailure, runScenario } from '../cluster/runner.js'
import type { ClockKind, RunOptions, RunResult } from '../cluster/runner.js'
import type { Scenario } from '../cluster/scenario.js'
import { selectScenarios } from '../cluster/scenarios/index.js'
import { runKvScenario } from './runner.js'
import type { KvScenario } from './scenario.js'
import { selectKvScenarios } from './scenarios/index.js'

export type AnyScenario = Scenario | KvScenario

export function isKvScenario(s: AnyScenario): s is KvScenario {
  return s.part === '3A' || s.part === '3B'
}

/** The Raft scenarios, then the key/value ones, whose name or description matches `grep`. */
export function selectAnyScenarios(grep?: string | RegExp): AnyScenario[] {
  return [...selectScenarios(grep), ...selectKvScenarios(grep)]
}

/** Runs a scenario of either kind (kv scenarios ignore createNode and invariantIntervalMs). */
export function runAnyScenario(s: AnyScenario, options: RunOptions): Promise<RunResult> {
  return isKvScenario(s) ? runKvScenario(s, options) : runScenario(s, options)
}

export function describeAnyFailure(
  s: AnyScenario,
  seed: number,
  clock: ClockKind,
  error: unknown,
): string {
  return describeFailure(s, seed, clock, error)
}

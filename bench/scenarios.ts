import { openQuery, writeThroughput } from './local.ts'
import { mergeScenario } from './merge/mergeScenario.ts'
import type { Scenario } from './Scenario.ts'

/**
 * Every benchmark, in the order a suite runs them. Relay and sync scenarios (several devices
 * through a relay) join this list; `--devices` already reaches their `cases`.
 */
export const scenarios: readonly Scenario[] = [writeThroughput, openQuery, mergeScenario]

/** The scenario with this name, or `undefined`. */
export function findScenario(name: string): Scenario | undefined {
  return scenarios.find((scenario) => scenario.name === name)
}

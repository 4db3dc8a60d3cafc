import { openQuery, writeThroughput } from './local.ts'
import { mergeScenario } from './merge/mergeScenario.ts'
import type { Scenario } from './Scenario.ts'
import { catchUpScenario } from './sync/catchUpScenario.ts'
import { downloadScenario } from './sync/downloadScenario.ts'
import { latencyScenario } from './sync/latencyScenario.ts'
import { uploadScenario } from './sync/uploadScenario.ts'

/** Every benchmark, in the order a suite runs them. */
export const scenarios: readonly Scenario[] = [
  writeThroughput,
  openQuery,
  mergeScenario,
  downloadScenario,
  uploadScenario,
  catchUpScenario,
  latencyScenario,
]

/** The scenario with this name, or `undefined`. */
export function findScenario(name: string): Scenario | undefined {
  return scenarios.find((scenario) => scenario.name === name)
}

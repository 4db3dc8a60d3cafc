import type { Machine } from './machine.ts'
import type { Measurement } from './measure.ts'
import type { CaseOptions, Suite } from './Scenario.ts'
import { isSystemId } from './systems.ts'

/** The layout version of result files; files without it predate it and are not read. */
export const resultFormat = 2

/** What one scenario's run writes to `bench/results/<date>-<scenario>.json`. */
export interface ScenarioResult {
  readonly format: typeof resultFormat
  readonly scenario: string
  readonly description: string
  /** Units of numeric case parameters for display, e.g. `{ edited: '%' }`. */
  readonly parameterUnits: Readonly<Record<string, string>>
  readonly suite: Suite
  /** Row and device counts given on the command line instead of the suite's. */
  readonly overrides: Omit<CaseOptions, 'suite'>
  /** When the run finished (ISO 8601). */
  readonly date: string
  readonly machine: Machine
  /** Measured runs per system and case, after one warm-up run. */
  readonly runs: number
  /** Whether each system ran in a process of its own (memory figures exist only then). */
  readonly isolated: boolean
  readonly measurements: readonly Measurement[]
}

/** The outcome of {@link parseScenarioResult}. */
export type ParsedResult = { ok: true; result: ScenarioResult } | { ok: false; reason: string }

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

function machineProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'no machine'
  for (const key of ['cpu', 'os', 'node', 'commit']) {
    if (typeof value[key] !== 'string') return `no machine ${key}`
  }
  for (const key of ['cores', 'memoryBytes', 'loadAverage']) {
    if (!isFiniteNumber(value[key])) return `no machine ${key}`
  }
  const { packages } = value
  if (
    !isRecord(packages) ||
    !Object.values(packages).every((version) => typeof version === 'string')
  ) {
    return 'no package versions'
  }
  return undefined
}

function measurementProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'is not an object'
  const { system, operation, rows, parameters, milliseconds, rowsPerSecond } = value
  if (typeof system !== 'string' || !isSystemId(system))
    return `has unknown system ${String(system)}`
  if (typeof operation !== 'string') return 'has no operation'
  if (!isFiniteNumber(rows) || rows <= 0) return 'has no row count'
  if (
    !isRecord(parameters) ||
    !Object.values(parameters).every(
      (parameter) => typeof parameter === 'string' || isFiniteNumber(parameter),
    )
  ) {
    return 'has malformed parameters'
  }
  if (!Array.isArray(milliseconds) || !milliseconds.every(isFiniteNumber))
    return 'has malformed timings'
  if (
    !isRecord(rowsPerSecond) ||
    !['median', 'min', 'max'].every((key) => isFiniteNumber(rowsPerSecond[key]))
  ) {
    return 'has malformed rows per second'
  }
  for (const key of [
    'bytesPerRowStored',
    'bytesPerRowWire',
    'peakMemoryBytes',
    'httpRequests',
    'webSocketMessages',
  ]) {
    if (value[key] !== undefined && !isFiniteNumber(value[key])) return `has a malformed ${key}`
  }
  const { latency, failure } = value
  if (
    latency !== undefined &&
    (!isRecord(latency) || !['p50', 'p95', 'p99'].every((key) => isFiniteNumber(latency[key])))
  ) {
    return 'has malformed latency'
  }
  if (failure !== undefined && typeof failure !== 'string') return 'has a malformed failure'
  return undefined
}

/**
 * Reads a result file's text; files are checked, not trusted, as they may be old or edited.
 * @param text - the file's contents
 */
export function parseScenarioResult(text: string): ParsedResult {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return {
      ok: false,
      reason: `not JSON: ${error instanceof Error ? error.message : String(error)}`,
    }
  }
  if (!isRecord(value)) return { ok: false, reason: 'not a JSON object' }
  if (value.format !== resultFormat) {
    return {
      ok: false,
      reason: `result format ${String(value.format)}, this report reads ${resultFormat}`,
    }
  }
  if (typeof value.scenario !== 'string' || typeof value.date !== 'string') {
    return { ok: false, reason: 'no scenario name or date' }
  }
  const machine = machineProblem(value.machine)
  if (machine) return { ok: false, reason: machine }
  if (
    typeof value.description !== 'string' ||
    !isRecord(value.parameterUnits) ||
    !isRecord(value.overrides) ||
    !isFiniteNumber(value.runs) ||
    typeof value.isolated !== 'boolean' ||
    !Array.isArray(value.measurements)
  ) {
    return { ok: false, reason: 'no description, units, overrides, runs or measurements' }
  }
  for (const [index, measurement] of value.measurements.entries()) {
    const problem = measurementProblem(measurement)
    if (problem) return { ok: false, reason: `measurement ${index} ${problem}` }
  }
  return { ok: true, result: value as unknown as ScenarioResult }
}

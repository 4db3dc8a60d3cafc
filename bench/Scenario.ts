import type { Measurement } from './measure.ts'
import type { SystemId } from './systems.ts'

/** The quick suite runs in minutes and backs `npm run bench`; the full one takes hours. */
export type Suite = 'quick' | 'full'

/** One point of a scenario's matrix: a row count and the scenario's own parameters. */
export interface BenchCase {
  readonly rows: number
  /** Shown in reports in this order, e.g. `{ replicas: 2, edited: 10, policy: 'text' }`. */
  readonly parameters: Readonly<Record<string, string | number>>
}

/** What chooses a scenario's cases. */
export interface CaseOptions {
  readonly suite: Suite
  /** Replaces the suite's row counts. */
  readonly rows?: number
  /** Replaces the suite's device (replica) counts, for scenarios that have several devices. */
  readonly devices?: number
}

/** How {@link Scenario.measure} runs. */
export interface MeasureOptions {
  /** Measured runs after the warm-up. */
  readonly runs: number
  /** Whether the process runs nothing but this system on this case (memory figures need it). */
  readonly isolated: boolean
  /** Receives one line per finished run. */
  readonly progress: (line: string) => void
}

/** What {@link Scenario.prepare} built for one case. */
export interface PreparedCase<F> {
  /**
   * The input of each system's runs. It may cross to a child process, so it must survive the
   * structured clone (plain objects, arrays, strings, numbers, Uint8Arrays).
   */
  readonly fixtures: ReadonlyMap<SystemId, F>
  /** Removes what the fixtures point to outside memory (temporary directories). */
  dispose(): Promise<void>
}

/**
 * A benchmark: a matrix of cases, each measured on several systems doing the same logical work.
 * Building a case's inputs is untimed and happens once per case; each system then runs alone.
 */
export interface Scenario<F = unknown> {
  /** The name on the command line and in result files, e.g. `merge`. */
  readonly name: string
  /** One or two sentences for the report: what is measured and how the systems compare. */
  readonly description: string
  readonly systems: readonly SystemId[]
  /** The systems the quick suite measures, to keep it short; default {@link Scenario.systems}. */
  readonly quickSystems?: readonly SystemId[]
  /** Units of numeric case parameters for display, e.g. `{ edited: '%' }`. */
  readonly parameterUnits?: Readonly<Record<string, string>>
  /**
   * The cases of a suite.
   * @throws {Error} when an override does not fit the scenario (e.g. one device for a merge)
   */
  cases(options: CaseOptions): BenchCase[]
  /** Builds the inputs of one case for the given systems; untimed. */
  prepare(benchCase: BenchCase, systems: readonly SystemId[]): Promise<PreparedCase<F>>
  /**
   * Measures one system on one case, warm-up and repeats included (see `repeat`).
   * @throws {Error} when the system's result is not what the work should produce
   */
  measure(
    benchCase: BenchCase,
    system: SystemId,
    fixture: F,
    options: MeasureOptions,
  ): Promise<Measurement[]>
}

/**
 * A case's parameters for people: `replicas 2, edited 10%, policy text`.
 * @param parameters - the case's parameters
 * @param units - units of numeric parameters
 */
export function describeParameters(
  parameters: BenchCase['parameters'],
  units: Readonly<Record<string, string>> = {},
): string {
  return Object.entries(parameters)
    .map(([name, value]) => `${name} ${value}${units[name] ?? ''}`)
    .join(', ')
}

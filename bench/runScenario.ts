import { fork } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deserialize, serialize } from 'node:v8'
import { describeMachine } from './machine.ts'
import type { Measurement } from './measure.ts'
import {
  describeParameters,
  type BenchCase,
  type CaseOptions,
  type MeasureOptions,
  type Scenario,
} from './Scenario.ts'
import { resultFormat, type ScenarioResult } from './ScenarioResult.ts'
import { removeDirectory, temporaryDirectory } from './storage.ts'
import { systemName, type SystemId } from './systems.ts'

/** Options of {@link runScenario}. */
export interface RunOptions extends CaseOptions {
  /** Measured runs per system and case, after one warm-up run. */
  readonly runs: number
  /** Only these of the scenario's systems; default its quick or full suite's systems. */
  readonly systems?: readonly SystemId[]
  /**
   * Run each system on each case in a fresh child process, so that systems do not share a heap,
   * a wasm memory or a JIT state, and peak memory can be measured. Default true.
   */
  readonly isolated?: boolean
  /** Receives progress lines. */
  readonly progress: (line: string) => void
}

/** A job for `worker.ts`: measure one system on one case, with the fixture read from a file. */
export interface WorkerJob {
  readonly scenario: string
  readonly benchCase: BenchCase
  readonly system: SystemId
  readonly fixtureFile: string
  readonly runs: number
}

/** What `worker.ts` sends back. */
export type WorkerReply =
  | { readonly type: 'measurements'; readonly measurements: Measurement[] }
  | { readonly type: 'failed'; readonly error: string }

const workerFile = fileURLToPath(new URL('./worker.ts', import.meta.url))

/**
 * Runs every case of a scenario on every selected system: builds each case's inputs once, then
 * measures each system (warm-up plus `runs` runs).
 * @param scenario - the scenario
 * @param options - see {@link RunOptions}
 * @throws {Error} when a system fails or produces a wrong result
 */
export async function runScenario(
  scenario: Scenario,
  options: RunOptions,
): Promise<ScenarioResult> {
  const { suite, rows, devices, runs, progress } = options
  const machine = describeMachine()
  const isolated = options.isolated ?? true
  const suiteSystems =
    suite === 'quick' ? (scenario.quickSystems ?? scenario.systems) : scenario.systems
  const systems =
    options.systems === undefined
      ? suiteSystems
      : scenario.systems.filter((system) => options.systems?.includes(system))
  const cases = scenario.cases({
    suite,
    ...(rows === undefined ? {} : { rows }),
    ...(devices === undefined ? {} : { devices }),
  })
  const measurements: Measurement[] = []
  const steps = cases.length * systems.length
  let step = 0
  for (const benchCase of cases) {
    const what = [
      `${benchCase.rows.toLocaleString('en-US')} rows`,
      describeParameters(benchCase.parameters, scenario.parameterUnits),
    ]
      .filter(Boolean)
      .join(', ')
    progress(`${scenario.name}: preparing ${what}`)
    const prepared = await scenario.prepare(benchCase, systems)
    try {
      for (const system of systems) {
        step++
        progress(`${scenario.name} [${step}/${steps}] ${systemName(system)}, ${what}`)
        const fixture = prepared.fixtures.get(system)
        const measureOptions: MeasureOptions = {
          runs,
          isolated,
          progress: (line) => progress(`  ${line}`),
        }
        measurements.push(
          ...(isolated
            ? await measureInChild(scenario, benchCase, system, fixture, runs)
            : await scenario.measure(benchCase, system, fixture, measureOptions)),
        )
      }
    } finally {
      await prepared.dispose()
    }
  }
  return {
    format: resultFormat,
    scenario: scenario.name,
    description: scenario.description,
    parameterUnits: scenario.parameterUnits ?? {},
    suite,
    overrides: {
      ...(rows === undefined ? {} : { rows }),
      ...(devices === undefined ? {} : { devices }),
    },
    date: new Date().toISOString(),
    machine,
    runs,
    isolated,
    measurements,
  }
}

/** Measures one system on one case in a fresh Node process running `worker.ts`. */
async function measureInChild(
  scenario: Scenario,
  benchCase: BenchCase,
  system: SystemId,
  fixture: unknown,
  runs: number,
): Promise<Measurement[]> {
  const directory = await temporaryDirectory()
  try {
    const fixtureFile = join(directory, 'fixture.bin')
    await writeFile(fixtureFile, serialize(fixture))
    const job: WorkerJob = { scenario: scenario.name, benchCase, system, fixtureFile, runs }
    const child = fork(workerFile, [], {
      execArgv: ['--import', import.meta.resolve('tsx')],
      // The child's stdout goes to this process's stderr, so `--json` output stays clean.
      stdio: ['ignore', 2, 'inherit', 'ipc'],
      serialization: 'advanced',
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    const reply = new Promise<WorkerReply | undefined>((resolve) => {
      child.once('message', (message) => resolve(message as WorkerReply))
      child.once('exit', () => resolve(undefined))
    })
    child.send(job)
    const answer = await reply
    const code = await exited
    const label = `${scenario.name}: ${systemName(system)} at ${benchCase.rows} rows`
    if (answer === undefined)
      throw new Error(`${label}: worker exited with code ${code} and no result`)
    if (answer.type === 'failed') throw new Error(`${label} failed in its worker:\n${answer.error}`)
    return answer.measurements
  } finally {
    await removeDirectory(directory)
  }
}

/**
 * Reads a job's fixture in the worker.
 * @param job - the job the parent sent
 */
export async function readFixture(job: WorkerJob): Promise<unknown> {
  return deserialize(await readFile(job.fixtureFile)) as unknown
}

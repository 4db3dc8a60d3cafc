import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { isDeepStrictEqual } from 'node:util'
import { expect, it } from 'vitest'
import { mergeScenario } from '../bench/merge/mergeScenario.ts'
import { mergeCase, mergePolicies } from '../bench/merge/workload.ts'
import { describeMachine } from '../bench/machine.ts'
import { failedMeasurement, type Measurement } from '../bench/measure.ts'
import { buildReport } from '../bench/report/writeReport.ts'
import { runScenario } from '../bench/runScenario.ts'
import type { Scenario } from '../bench/Scenario.ts'
import { parseScenarioResult, resultFormat, type ScenarioResult } from '../bench/ScenarioResult.ts'
import { scenarios } from '../bench/scenarios.ts'
import { systemName } from '../bench/systems.ts'

// The benchmarks at a tiny size, so they cannot rot: every scenario still runs, checks its own
// results, and measures every system it compares on every case. Timings mean nothing at this
// size and are never checked.

// Two devices: the latency scenario's 50 connected devices would take minutes.
const tiny = {
  suite: 'quick',
  rows: 20,
  devices: 2,
  runs: 1,
  isolated: false,
  progress: () => {},
} as const
const quickPolicies = new Set(
  mergeScenario.cases(tiny).map((benchCase) => benchCase.parameters.policy),
)

/** The sync scenarios that count wire bytes and messages on both systems. */
const wireScenarios = new Set(['download', 'upload', 'catch-up'])

function expectEverySystemOnEveryCase(scenario: Scenario, result: ScenarioResult): void {
  for (const benchCase of scenario.cases(tiny)) {
    for (const system of scenario.systems) {
      const found = result.measurements.filter(
        (measurement) =>
          measurement.system === system &&
          measurement.rows === benchCase.rows &&
          isDeepStrictEqual(measurement.parameters, benchCase.parameters),
      )
      const label = `${scenario.name}: ${system} on ${JSON.stringify(benchCase)}`
      expect(found.length, label).toBeGreaterThan(0)
      for (const measurement of found) {
        expect(measurement.failure, label).toBeUndefined()
        expect(measurement.milliseconds, label).toHaveLength(1)
        expect(measurement.rowsPerSecond.median, label).toBeGreaterThan(0)
      }
    }
  }
}

it.each(scenarios.map((scenario) => [scenario.name, scenario] as const))(
  '%s measures every system on every quick case',
  async (_name, scenario) => {
    const result = await runScenario(scenario, { ...tiny, systems: scenario.systems })

    expectEverySystemOnEveryCase(scenario, result)
    expect(parseScenarioResult(JSON.stringify(result))).toEqual({ ok: true, result })
    if (wireScenarios.has(scenario.name)) {
      for (const measurement of result.measurements) {
        expect(measurement.bytesPerRowWire).toBeGreaterThan(0)
        expect(measurement.webSocketMessages).toBeGreaterThan(0)
      }
    }
  },
  120_000,
)

it('a system that does not finish is recorded as a failure, and the report says so', () => {
  const passed: Measurement = {
    system: 'automerge-repo',
    operation: 'download',
    rows: 1_000,
    parameters: {},
    milliseconds: [100],
    rowsPerSecond: { median: 10_000, min: 10_000, max: 10_000 },
  }
  const failed = failedMeasurement(
    'automerge-repo',
    { rows: 10_000, parameters: {} },
    'download',
    'download of 10000 rows timed out after 30 s',
  )
  const result: ScenarioResult = {
    format: resultFormat,
    scenario: 'download',
    description: 'A fresh device gets every row.',
    parameterUnits: {},
    suite: 'quick',
    overrides: {},
    date: '2026-11-21T00:00:00.000Z',
    machine: describeMachine(),
    runs: 1,
    isolated: false,
    measurements: [passed, failed],
  }

  const { markdown } = buildReport([{ file: 'download.json', result }])

  expect(parseScenarioResult(JSON.stringify(result)).ok).toBe(true)
  expect(markdown).toContain('timed out after 30 s; largest size that passed 1,000 rows')
})

it('merge measures every system under the other field policies with three replicas', async () => {
  const otherPolicies: Scenario = {
    ...mergeScenario,
    cases: () =>
      mergePolicies
        .filter((policy) => !quickPolicies.has(policy))
        .map((policy) => mergeCase({ rows: 20, replicas: 3, edited: 10, policy })),
  }

  const result = await runScenario(otherPolicies, { ...tiny, systems: mergeScenario.systems })

  expectEverySystemOnEveryCase(otherPolicies, result)
  for (const measurement of result.measurements) {
    expect(measurement.bytesPerRowStored).toBeGreaterThan(0)
    expect(measurement.bytesPerRowWire).toBeGreaterThan(0)
  }
})

it('the report has a table column and a chart line for every system', async () => {
  const twoSizes: Scenario = {
    ...mergeScenario,
    cases: () =>
      [10, 20].map((rows) => mergeCase({ rows, replicas: 2, edited: 100, policy: 'text' })),
  }
  const systems = ['yjs', 'loro'] as const
  const result = await runScenario(twoSizes, { ...tiny, systems })

  const { markdown, charts } = buildReport([{ file: 'merge.json', result }])

  for (const system of systems) expect(markdown).toContain(`| ${systemName(system)} |`)
  expect(charts.size).toBe(1)
  for (const [file, svg] of charts) {
    expect(markdown).toContain(`(${file})`)
    expect(svg.match(/<polyline /g)).toHaveLength(systems.length)
  }
})

it('the command line runs a system in its own process and writes a result file', async () => {
  const out = await mkdtemp(join(tmpdir(), 'rowsync-bench-smoke-'))
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('../bench/run.ts', import.meta.url)),
        'write-throughput',
        ...['--rows', '20', '--runs', '1', '--system', 'yjs', '--json', '--out', out],
      ],
      { cwd: fileURLToPath(new URL('..', import.meta.url)) },
    )

    const parsed = parseScenarioResult(stdout)
    if (!parsed.ok) throw new Error(`bench printed no result: ${parsed.reason}`)
    expect(parsed.result.isolated).toBe(true)
    expect(parsed.result.measurements.map((m) => [m.system, m.operation])).toEqual([
      ['yjs', 'insert'],
      ['yjs', 'update'],
    ])
    for (const measurement of parsed.result.measurements) {
      expect(measurement.peakMemoryBytes).toBeGreaterThanOrEqual(0)
    }
    expect(await readdir(out)).toEqual([`${parsed.result.date.slice(0, 10)}-write-throughput.json`])
  } finally {
    await rm(out, { recursive: true, force: true })
  }
})

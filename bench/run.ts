// Runs Rowsync's benchmarks beside their baselines and writes bench/results/<date>-<scenario>.json.
// Usage (see bench/README.md):
//   npm run bench                                 the quick suite, every scenario
//   npm run bench -- --full                       the full suite
//   npm run bench -- merge [--rows N] [--devices N] [--runs N] [--system ID ...] [--json]
import { mkdir, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { formatMilliseconds } from './measure.ts'
import { runScenario } from './runScenario.ts'
import { describeParameters } from './Scenario.ts'
import type { ScenarioResult } from './ScenarioResult.ts'
import { scenarios } from './scenarios.ts'
import { isSystemId, systemName, systemNames, type SystemId } from './systems.ts'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    full: { type: 'boolean', default: false },
    rows: { type: 'string' },
    devices: { type: 'string' },
    runs: { type: 'string', default: '3' },
    system: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
    'in-process': { type: 'boolean', default: false },
    out: { type: 'string', default: new URL('./results/', import.meta.url).pathname },
  },
})

function fail(message: string): never {
  process.stderr.write(`${message}\n`)
  process.exit(2)
}

function positiveInteger(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value <= 0)
    fail(`--${option} must be a positive whole number, got ${text}`)
  return value
}

const unknown = positionals.filter((name) => !scenarios.some((scenario) => scenario.name === name))
if (unknown.length > 0) {
  fail(
    `Unknown scenario ${unknown.join(', ')}; choose from ${scenarios.map((scenario) => scenario.name).join(', ')}`,
  )
}
const systems = values.system?.map((id): SystemId => {
  if (!isSystemId(id))
    fail(`Unknown system ${id}; choose from ${Object.keys(systemNames).join(', ')}`)
  return id
})
const rows = positiveInteger('rows', values.rows)
const devices = positiveInteger('devices', values.devices)
const runs = positiveInteger('runs', values.runs) ?? 3
const selected = scenarios.filter(
  (scenario) =>
    (positionals.length === 0 || positionals.includes(scenario.name)) &&
    (systems === undefined || scenario.systems.some((system) => systems.includes(system))),
)
if (selected.length === 0) fail('No scenario runs any of the chosen systems')
const suite = values.full ? 'full' : 'quick'
for (const scenario of selected) {
  try {
    scenario.cases({
      suite,
      ...(rows === undefined ? {} : { rows }),
      ...(devices === undefined ? {} : { devices }),
    })
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error))
  }
}

const started = performance.now()
const out = resolve(values.out)
await mkdir(out, { recursive: true })
for (const scenario of selected) {
  const result = await runScenario(scenario, {
    suite,
    runs,
    isolated: !values['in-process'],
    progress: (line) => process.stderr.write(`${line}\n`),
    ...(rows === undefined ? {} : { rows }),
    ...(devices === undefined ? {} : { devices }),
    ...(systems === undefined ? {} : { systems }),
  })
  const file = resolve(out, `${result.date.slice(0, 10)}-${scenario.name}.json`)
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`)
  if (values.json) console.log(JSON.stringify(result))
  else printTable(result, file)
}
process.stderr.write(`Finished in ${formatMilliseconds(performance.now() - started)}\n`)

function printTable(result: ScenarioResult, file: string): void {
  const round = (value: number | undefined): number | undefined =>
    value === undefined ? undefined : Math.round(value)
  console.log(`\n${result.scenario} (${file})`)
  console.table(
    result.measurements.map((measurement) => ({
      system: systemName(measurement.system),
      operation: measurement.operation,
      rows: measurement.rows,
      case: describeParameters(measurement.parameters, result.parameterUnits),
      'rows/s': round(measurement.rowsPerSecond.median),
      'min–max': `${round(measurement.rowsPerSecond.min)}–${round(measurement.rowsPerSecond.max)}`,
      'stored B/row': round(measurement.bytesPerRowStored),
      'wire B/row': round(measurement.bytesPerRowWire),
      'p50/p99 ms':
        measurement.latency === undefined
          ? undefined
          : `${measurement.latency.p50.toFixed(1)}/${measurement.latency.p99.toFixed(1)}`,
      'HTTP/WS msgs':
        measurement.httpRequests === undefined
          ? undefined
          : `${measurement.httpRequests}/${measurement.webSocketMessages ?? 0}`,
      failure: measurement.failure,
      'peak MB':
        measurement.peakMemoryBytes === undefined
          ? undefined
          : Number((measurement.peakMemoryBytes / 1e6).toFixed(1)),
    })),
  )
}

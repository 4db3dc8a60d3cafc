// Runs Rowsync's benchmarks beside their baselines and writes bench/results/<date>-<scenario>.json.
// Usage: npm run bench -- [scenario ...] [--rows N] [--json]
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { parseArgs } from 'node:util'
import { mergeDiverged, openAndQuery, writeThroughput } from './local.ts'
import type { Measurement } from './measure.ts'

const scenarios: Record<string, { rows: number[]; run: (rows: number) => Promise<Measurement[]> }> =
  {
    'write-throughput': { rows: [10_000], run: writeThroughput },
    'open-query': { rows: [10_000, 100_000], run: openAndQuery },
    merge: { rows: [10_000], run: mergeDiverged },
  }

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rows: { type: 'string' }, json: { type: 'boolean', default: false } },
})
const selected = positionals.length > 0 ? positionals : Object.keys(scenarios)
for (const name of selected) {
  if (!scenarios[name])
    throw new Error(`Unknown scenario ${name}; choose from ${Object.keys(scenarios).join(', ')}`)
}
const rowsOverride = values.rows === undefined ? undefined : Number(values.rows)
if (rowsOverride !== undefined && !(Number.isSafeInteger(rowsOverride) && rowsOverride > 0)) {
  throw new Error(`--rows must be a positive whole number, got ${values.rows}`)
}

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryBytes: totalmem(),
  node: process.version,
}
const date = new Date().toISOString().slice(0, 10)
await mkdir(new URL('./results/', import.meta.url), { recursive: true })
for (const name of selected) {
  const scenario = scenarios[name]!
  const measurements: Measurement[] = []
  for (const rows of rowsOverride === undefined ? scenario.rows : [rowsOverride]) {
    process.stderr.write(`${name} at ${rows} rows\n`)
    measurements.push(...(await scenario.run(rows)))
  }
  const result = { scenario: name, date: new Date().toISOString(), machine, measurements }
  const file = new URL(`./results/${date}-${name}.json`, import.meta.url)
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`)
  if (values.json) console.log(JSON.stringify(result))
  else {
    console.log(`\n${name} (${file.pathname})`)
    console.table(
      measurements.map(({ name: what, rows, value, unit, milliseconds }) => ({
        what,
        rows,
        value: Math.round(value),
        unit,
        ms: milliseconds && Math.round(milliseconds),
      })),
    )
  }
}

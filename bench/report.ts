// Turns the latest result file of each scenario in bench/results into bench/results/REPORT.md
// and SVG charts. Usage: npm run bench:report [-- --dir DIRECTORY]
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { writeReport } from './report/writeReport.ts'

const { values } = parseArgs({
  options: { dir: { type: 'string', default: new URL('./results/', import.meta.url).pathname } },
})
const directory = resolve(values.dir)
const { written, skipped } = await writeReport(directory)
for (const { file, reason } of skipped) process.stderr.write(`skipped ${file}: ${reason}\n`)
console.log(`wrote to ${directory}: ${written.join(', ')}`)

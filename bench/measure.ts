import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

/** One measured figure. */
export interface Measurement {
  readonly name: string
  readonly rows: number
  readonly value: number
  readonly unit: string
  readonly milliseconds?: number
  /** Growth of the JavaScript heap plus external (wasm) memory during the run, in bytes. */
  readonly memoryBytes?: number
}

/**
 * Times one run of `work` over `rows` rows and reports rows per second.
 * @param name - what ran
 * @param rows - how many rows the work covers
 * @param work - the work
 */
export async function measure(
  name: string,
  rows: number,
  work: () => Promise<void>,
): Promise<Measurement> {
  globalThis.gc?.()
  const before = process.memoryUsage()
  const start = performance.now()
  await work()
  const milliseconds = performance.now() - start
  const after = process.memoryUsage()
  const memoryBytes =
    after.heapUsed +
    after.external +
    after.arrayBuffers -
    (before.heapUsed + before.external + before.arrayBuffers)
  process.stderr.write(`  ${name}: ${rows} rows in ${milliseconds.toFixed(0)} ms\n`)
  return {
    name,
    rows,
    value: (rows / milliseconds) * 1000,
    unit: 'rows/s',
    milliseconds,
    memoryBytes,
  }
}

/** The bytes of every file under a directory. */
export async function directorySize(directory: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name)
    total += entry.isDirectory() ? await directorySize(path) : (await stat(path)).size
  }
  return total
}

import { readFileSync, writeFileSync } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { BenchCase } from './Scenario.ts'
import type { SystemId } from './systems.ts'

/** The median and range of one figure over the measured runs. */
export interface Spread {
  readonly median: number
  readonly min: number
  readonly max: number
}

/** One system's figures for one operation of one case. */
export interface Measurement {
  readonly system: SystemId
  readonly operation: string
  readonly rows: number
  readonly parameters: BenchCase['parameters']
  /** Wall-clock time of each measured run, in milliseconds. */
  readonly milliseconds: readonly number[]
  readonly rowsPerSecond: Spread
  /** Bytes the system keeps for the rows after the operation, per row. */
  readonly bytesPerRowStored?: number
  /** Bytes sent between replicas for the operation, per row. */
  readonly bytesPerRowWire?: number
  /**
   * How far the process's peak resident memory rose above its level before the first run
   * (wasm memory included); only measured in a process that runs this one system and case.
   */
  readonly peakMemoryBytes?: number
  /** Device-to-device latency percentiles over every delivery of the last measured run, in ms. */
  readonly latency?: Latency
  /** HTTP requests the device made in the last measured run. */
  readonly httpRequests?: number
  /** WebSocket messages the device sent and received in the last measured run. */
  readonly webSocketMessages?: number
  /**
   * Why the system did not finish the operation (e.g. a timeout); `milliseconds` is then empty
   * and `rowsPerSecond` all zero. See {@link failedMeasurement}.
   */
  readonly failure?: string
}

/** Latency percentiles, in milliseconds. */
export interface Latency {
  readonly p50: number
  readonly p95: number
  readonly p99: number
}

/** Figures of an operation besides its time: bytes per row, messages, latency. */
export interface RunFigures {
  readonly stored?: number
  readonly wire?: number
  readonly latency?: Latency
  readonly httpRequests?: number
  readonly webSocketMessages?: number
}

/** What one run of a system on a case gets from {@link repeat}. */
export interface RunContext {
  /** How many of the case's rows this run covers: all of them, or a few in the warm-up. */
  readonly rows: number
  /** Whether this is the unmeasured warm-up run. */
  readonly warmUp: boolean
  /** Times `work` as one pass of `operation` over {@link RunContext.rows} rows. */
  readonly time: (operation: string, work: () => Promise<void> | void) => Promise<void>
  /** Records the figures of an operation; the last measured run's figures are kept. */
  readonly record: (operation: string, figures: RunFigures) => void
}

/** Options of {@link repeat}. */
export interface RepeatOptions {
  readonly system: SystemId
  readonly benchCase: BenchCase
  /** Measured runs after the warm-up. */
  readonly runs: number
  /** Whether this process runs nothing but this system on this case, so memory figures mean something. */
  readonly isolated: boolean
  /** Receives one line per finished run. */
  readonly progress: (line: string) => void
}

/** The warm-up run covers this many rows at most: enough to compile the hot paths. */
const warmUpRows = 500

/**
 * Runs `run` once as a warm-up over a few rows, then `options.runs` times over every row, and
 * summarizes each timed operation: median and range of rows per second, byte figures, and the
 * rise of peak memory when the process is isolated. Setup inside `run` outside `time` is not timed.
 * @param options - see {@link RepeatOptions}
 * @param run - one run; must time every operation it performs in every run
 * @throws {Error} when a run times a different set of operations than the others
 */
export async function repeat(
  options: RepeatOptions,
  run: (context: RunContext) => Promise<void>,
): Promise<Measurement[]> {
  const { rows, parameters } = options.benchCase
  const timings = new Map<string, number[]>()
  const bytes = new Map<string, RunFigures>()
  collectGarbage()
  const memoryBefore = process.memoryUsage.rss()
  const peakReset = resetPeakMemory()
  for (let index = 0; index <= options.runs; index++) {
    const warmUp = index === 0
    const runRows = warmUp ? Math.min(rows, warmUpRows) : rows
    const times: string[] = []
    const timed = new Set<string>()
    collectGarbage()
    await run({
      rows: runRows,
      warmUp,
      time: async (operation, work) => {
        if (timed.has(operation)) throw new Error(`repeat: ${operation} timed twice in one run`)
        timed.add(operation)
        const start = performance.now()
        await work()
        const milliseconds = performance.now() - start
        times.push(`${operation} ${formatMilliseconds(milliseconds)}`)
        if (warmUp) return
        const list = timings.get(operation) ?? []
        timings.set(operation, [...list, milliseconds])
      },
      record: (operation, figures) => {
        if (!warmUp) bytes.set(operation, figures)
      },
    })
    if (!warmUp && timed.size !== timings.size) {
      throw new Error(`repeat: run ${index} timed ${[...timed].join(', ')}, not every operation`)
    }
    const label = warmUp ? `warm-up (${runRows} rows)` : `run ${index}/${options.runs}`
    options.progress(`${label}: ${times.join(', ')}`)
  }
  const peakMemoryBytes = options.isolated
    ? Math.max(0, readPeakMemory(peakReset) - memoryBefore)
    : undefined
  return [...timings].map(([operation, milliseconds]) => {
    const figures = bytes.get(operation) ?? {}
    return {
      system: options.system,
      operation,
      rows,
      parameters,
      milliseconds,
      rowsPerSecond: spread(milliseconds.map((ms) => (rows / ms) * 1000)),
      ...(figures.stored === undefined ? {} : { bytesPerRowStored: figures.stored }),
      ...(figures.wire === undefined ? {} : { bytesPerRowWire: figures.wire }),
      ...(figures.latency === undefined ? {} : { latency: figures.latency }),
      ...(figures.httpRequests === undefined ? {} : { httpRequests: figures.httpRequests }),
      ...(figures.webSocketMessages === undefined
        ? {}
        : { webSocketMessages: figures.webSocketMessages }),
      ...(peakMemoryBytes === undefined ? {} : { peakMemoryBytes }),
    }
  })
}

/**
 * The record of a system that did not finish an operation on a case: no timings, zero rows per
 * second, and the reason.
 * @param system - the system
 * @param benchCase - the case
 * @param operation - the operation it did not finish
 * @param failure - why, e.g. `timed out after 60 s with 4,210 of 10,000 rows`
 */
export function failedMeasurement(
  system: SystemId,
  benchCase: BenchCase,
  operation: string,
  failure: string,
): Measurement {
  const { rows, parameters } = benchCase
  return {
    system,
    operation,
    rows,
    parameters,
    milliseconds: [],
    rowsPerSecond: { median: 0, min: 0, max: 0 },
    failure,
  }
}

/**
 * The value below which `share` (0 to 1) of some numbers fall (nearest rank).
 * @throws {Error} when there are none
 */
export function percentile(values: readonly number[], share: number): number {
  if (values.length === 0) throw new Error('percentile: no values')
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))]!
}

/**
 * The median, smallest and largest of some numbers.
 * @throws {Error} when there are none
 */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('spread: no values')
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  const median =
    sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
  return { median, min: sorted[0]!, max: sorted.at(-1)! }
}

/** Milliseconds as a short human reading: `840 ms`, `12.3 s`. */
export function formatMilliseconds(milliseconds: number): string {
  return milliseconds < 1000
    ? `${Math.round(milliseconds)} ms`
    : `${(milliseconds / 1000).toFixed(1)} s`
}

let gc: (() => void) | undefined

/** Runs a full garbage collection, so one run's garbage is not collected during the next. */
export function collectGarbage(): void {
  if (!gc) {
    // `npm run bench` cannot pass --expose-gc to node; the flag can still be set at run time,
    // and a fresh context then sees the `gc` function.
    setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc') as () => void
  }
  gc()
}

/** Linux lets a process reset its peak resident memory (VmHWM); elsewhere the peak is since start. */
function resetPeakMemory(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5')
    return true
  } catch {
    return false
  }
}

function readPeakMemory(wasReset: boolean): number {
  if (wasReset) {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))
    if (match) return Number(match[1]) * 1024
  }
  return process.resourceUsage().maxRSS * 1024
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

import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { expect, it } from 'vitest'
import { dana, spawnRelay, stopRelay, tokenFor } from '../relayProcess.ts'
import {
  converged,
  describeDivergence,
  openCampaignDevice,
  runCleanups,
  scratchDirectory,
  settledDevice,
  waitConverged,
  type Cleanups,
} from './campaign.ts'

// Device crash consistency: a device runs as its own process (deviceMain.ts: LMDB storage, the
// sync engine, a write loop) and is SIGKILLed after a random number of acknowledged writes
// (each insert of a unique customer and each increment of one counter is acknowledged when
// its write call resolved, i.e. durable on the device), then restarted on the same directory.
// After every restart the device must hold every acknowledged insert and a counter equal to
// the acknowledged increments (one more at most: an increment durable but killed before it
// was reported); in the end the relay and another device must hold exactly what the device
// holds, and nothing twice.
// Long run: DEVICE_CRASH_CYCLES=100 npx vitest run --project integration deviceCrash

const cycles = Number(process.env['DEVICE_CRASH_CYCLES'] ?? 5)
const seed = Number(process.env['DEVICE_CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31))
const deviceMain = fileURLToPath(new URL('./deviceMain.ts', import.meta.url))

interface Line {
  type: 'start' | 'insert' | 'increment' | 'counter-row'
  names?: string[]
  name?: string
  counter?: number
  pending?: number
}

/** Runs the device process until `killAfter` acknowledged writes, then SIGKILLs it. */
async function runDevice(
  environment: Record<string, string>,
  killAfter: number,
): Promise<{ start: Line; inserts: string[]; increments: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', deviceMain], {
    env: { ...process.env, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const errors: string[] = []
  createInterface({ input: child.stderr }).on('line', (line) => errors.push(line))
  let start: Line | undefined
  const inserts: string[] = []
  let increments = 0
  let acknowledged = 0
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: Line
    try {
      line = JSON.parse(text) as Line
    } catch {
      return
    }
    if (line.type === 'start') start = line
    if (line.type === 'insert') inserts.push(line.name ?? '')
    if (line.type === 'increment') increments += 1
    if (line.type === 'insert' || line.type === 'increment') acknowledged += 1
    if (acknowledged === killAfter) child.kill('SIGKILL')
  })
  await exited
  if (!start) throw new Error(`the device process never started:\n${errors.join('\n')}`)
  return { start, inserts, increments }
}

it(
  `keeps every acknowledged device write across ${cycles} device SIGKILLs (seed ${seed})`,
  { timeout: 60_000 + cycles * 20_000 },
  async ({ onTestFinished }) => {
    const cleanups: Cleanups = []
    onTestFinished(() => runCleanups(cleanups))
    const relay = await spawnRelay(await scratchDirectory(cleanups, 'rowsync-crash-relay-'))
    cleanups.push(() => stopRelay(relay).then(() => undefined))
    const directory = await scratchDirectory(cleanups, 'rowsync-crash-device-')
    const token = await tokenFor(dana)
    const killAfter = fc.sample(fc.integer({ min: 1, max: 120 }), { numRuns: cycles, seed })

    const acknowledged = new Set<string>()
    let counter = 0
    let increments = 0
    for (let cycle = 0; cycle <= cycles; cycle++) {
      const environment = {
        DEVICE_DIR: directory,
        RELAY_URL: relay.url,
        DEVICE_TOKEN: token,
        DEVICE_RUN: `run${cycle}`,
      }
      // The last run only reports what the device holds after the last kill.
      const run = await runDevice(environment, cycle < cycles ? killAfter[cycle]! : 1)
      const names = run.start.names ?? []
      const held = new Set(names)
      const missing = [...acknowledged].filter((name) => !held.has(name))
      expect(missing, `cycle ${cycle}, seed ${seed}: acknowledged inserts lost`).toStrictEqual([])
      expect(names.length, `cycle ${cycle}: a row twice`).toBe(held.size)
      const stored = run.start.counter ?? 0
      // Acknowledged increments are there; one more may be (durable, killed before reporting).
      expect(stored, `cycle ${cycle}, seed ${seed}: counter`).toBeGreaterThanOrEqual(counter)
      expect(stored, `cycle ${cycle}, seed ${seed}: counter`).toBeLessThanOrEqual(counter + 1)
      if (cycle === cycles) break
      for (const name of run.inserts) acknowledged.add(name)
      increments += run.increments
      counter = stored + run.increments
    }

    // Now the device's final state must reach the relay and another device, once.
    const device = await openCampaignDevice(cleanups, {
      name: 'crashed',
      user: dana,
      relayUrl: relay.url,
      directory,
    })
    const other = await openCampaignDevice(cleanups, {
      name: 'other',
      user: dana,
      relayUrl: relay.url,
    })
    await Promise.all([settledDevice(device), settledDevice(other)])
    await waitConverged([device, other], 30_000).catch(() => undefined)
    expect(converged([device, other]), describeDivergence([device, other])).toBe(true)
    const names = other.database
      .table('customers')
      .list()
      .map((row) => String(row['name']))
    expect(names.length, 'a customer twice').toBe(new Set(names).size)
    expect([...acknowledged].filter((name) => !names.includes(name))).toStrictEqual([])
    const final = Number(device.database.table('workOrders').get('crash-counter')?.['partsUsed'])
    expect(other.database.table('workOrders').get('crash-counter')?.['partsUsed']).toBe(final)
    expect(final).toBeGreaterThanOrEqual(increments)
    expect(final).toBeLessThanOrEqual(increments + cycles)
    console.log(
      `device crash (seed ${seed}): ${cycles} SIGKILLs, ${acknowledged.size} acknowledged inserts, ` +
        `${increments} acknowledged increments, counter ${final} on the device and another device, ` +
        `${names.length} customers at the other device, 0 lost, 0 duplicated`,
    )
  },
)

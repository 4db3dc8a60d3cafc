import { expect, it } from 'vitest'
import { dana, relayMemory, spawnRelay, stopRelay, tom } from '../relayProcess.ts'
import {
  describeDivergence,
  openCampaignDevice,
  runCleanups,
  scratchDirectory,
  settledDevice,
  waitConverged,
  type CampaignDevice,
  type Cleanups,
} from './campaign.ts'

// Soak: N devices (half dana, half tom) each write R edits per second for T seconds through one
// relay process: inserts of work orders and title updates of their own rows, each title
// unique. Every other device records when each title arrives (the projection it stores),
// which gives device-to-device propagation latency (a title overtaken by a later one of the same
// row before it arrived gives no sample); relay memory is sampled from /metrics every 5 s.
// Asserted: all devices converge and every title is in the rows' histories exactly once, no unhandled rejection, no relay
// error log. Latency and memory are printed for docs/reliability.md, never asserted.
// Long run: SOAK_DEVICES=50 SOAK_SECONDS=1800 npx vitest run --project integration soak

const deviceCount = Number(process.env['SOAK_DEVICES'] ?? 10)
const editsPerSecond = Number(process.env['SOAK_RATE'] ?? 2)
const seconds = Number(process.env['SOAK_SECONDS'] ?? 30)

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

it(
  `soaks ${deviceCount} devices at ${editsPerSecond}/s for ${seconds} s with nothing lost or duplicated`,
  { timeout: seconds * 1000 + 180_000 },
  async ({ onTestFinished }) => {
    const cleanups: Cleanups = []
    onTestFinished(() => runCleanups(cleanups))
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    cleanups.push(() => {
      process.off('unhandledRejection', onUnhandled)
      return Promise.resolve()
    })
    const relay = await spawnRelay(await scratchDirectory(cleanups, 'rowsync-soak-relay-'))
    cleanups.push(() => stopRelay(relay).then(() => undefined))

    const devices: CampaignDevice[] = []
    for (let index = 0; index < deviceCount; index++) {
      const user = index % 2 === 0 ? dana : tom
      devices.push(
        await openCampaignDevice(cleanups, {
          name: `${user.id}-${index}`,
          user,
          relayUrl: relay.url,
        }),
      )
    }
    await Promise.all(devices.map(settledDevice))

    // title -> write time; arrivals: title -> how many devices stored it, and latencies.
    const written = new Map<string, { at: number; writer: number }>()
    const arrivals = new Map<string, Set<number>>()
    const latencies: number[] = []
    for (const [index, device] of devices.entries()) {
      device.database.observe((projections) => {
        const now = performance.now()
        for (const projection of projections) {
          const title = projection.values['title']
          if (typeof title !== 'string' || !title.startsWith('soak-')) continue
          const write = written.get(title)
          if (!write || write.writer === index) continue
          const seen = arrivals.get(title) ?? new Set<number>()
          // A row stored again with the same title (another field changed) is no new arrival.
          if (seen.has(index)) continue
          seen.add(index)
          arrivals.set(title, seen)
          latencies.push(now - write.at)
        }
      })
    }

    const memory: Array<{ second: number; residentMb: number; heapMb: number }> = []
    const started = performance.now()
    const sampleMemory = async () => {
      const { residentBytes, heapUsedBytes } = await relayMemory(relay)
      memory.push({
        second: Math.round((performance.now() - started) / 1000),
        residentMb: Math.round(residentBytes / 1e5) / 10,
        heapMb: Math.round(heapUsedBytes / 1e5) / 10,
      })
    }
    await sampleMemory()
    const sampler = setInterval(() => void sampleMemory().catch(() => undefined), 5000)
    cleanups.push(() => {
      clearInterval(sampler)
      return Promise.resolve()
    })

    let counter = 0
    const writer = async (device: CampaignDevice, index: number) => {
      const own: string[] = []
      const total = Math.round(seconds * editsPerSecond)
      const interval = 1000 / editsPerSecond
      // Spread the devices' ticks over the interval.
      const offset = (interval * index) / deviceCount
      for (let edit = 0; edit < total; edit++) {
        const due = started + offset + edit * interval
        const wait = due - performance.now()
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
        const title = `soak-${index}-${edit}-${counter++}`
        written.set(title, { at: performance.now(), writer: index })
        const table = device.database.table('workOrders')
        if (own.length < 5 || edit % 2 === 0) {
          const id = `soak-${index}-${own.length}`
          own.push(id)
          await table.insert({ title, technician: 'tom' }, { id })
        } else {
          await table.update(own[edit % own.length]!, { title })
        }
      }
    }
    await Promise.all(devices.map(writer))
    clearInterval(sampler)
    await sampleMemory()

    // Converged devices hold the same documents, so one device's histories speak for all: each
    // title must be written exactly once.
    const convergence = await waitConverged(devices, 60_000).then(
      () => 'converged',
      (error: Error) => error.message,
    )
    const reference = devices[0]!.database
    const titleWrites = new Map<string, number>()
    for (const row of reference.documentIds()) {
      const found = reference.rowOfDocument(row)
      if (!found || !found.id.startsWith('soak-')) continue
      for (const event of await reference.history('workOrders', found.id)) {
        for (const change of event.fields) {
          if (change.field !== 'title' || typeof change.to !== 'string') continue
          titleWrites.set(change.to, (titleWrites.get(change.to) ?? 0) + 1)
        }
      }
    }
    let lost = 0
    let duplicated = 0
    for (const title of written.keys()) {
      const writes = titleWrites.get(title) ?? 0
      if (writes === 0) lost += 1
      if (writes > 1) duplicated += writes - 1
    }
    const sorted = [...latencies].sort((a, b) => a - b)
    const round = (value: number) => Math.round(value * 10) / 10
    const figures = {
      devices: deviceCount,
      editsPerSecond,
      seconds,
      edits: written.size,
      deliveries: latencies.length,
      lost,
      duplicated,
      p50: round(percentile(sorted, 50)),
      p95: round(percentile(sorted, 95)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted.at(-1) ?? Number.NaN),
      unhandled: unhandled.length,
      relayErrors: relay.errorLogs().length,
    }
    console.log(`soak figures: ${JSON.stringify(figures)}`)
    console.log(`soak relay memory (s, RSS MB, heap MB): ${JSON.stringify(memory)}`)
    expect(convergence).toBe('converged')
    expect(lost, describeDivergence(devices)).toBe(0)
    expect(duplicated).toBe(0)
    expect(unhandled).toStrictEqual([])
    expect(relay.errorLogs()).toStrictEqual([])
    expect(relay.isRunning()).toBe(true)
    expect(written.size).toBe(deviceCount * Math.round(seconds * editsPerSecond))
  },
)

import fc from 'fast-check'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { dana, spawnRelay, stopRelay, tom, type RelayProcess } from '../relayProcess.ts'
import {
  converged,
  describeDivergence,
  openCampaignDevice,
  runCleanups,
  scratchDirectory,
  settledDevice,
  waitConverged,
  type CampaignDevice,
  type Cleanups,
} from './campaign.ts'
import { EditLog, type EditKind } from './EditLog.ts'
import { FaultProxy } from './FaultProxy.ts'

// Devices of two users (dana twice, tom twice) sync through a fault-injecting TCP proxy that
// drops every connection, delays chunks, cuts connections mid-stream and refuses new ones for
// a while, on a random schedule interleaved with random edits (inserts, title and status
// updates, counter increments, deletes). After the proxy heals, every device must converge,
// and a checker counts lost and duplicated edits on every device and on a fresh device that
// downloads from the relay: both must be 0. fast-check prints the seed and path to replay.
// Long run: FAULT_RUNS=100 npx vitest run --project integration faults.property

const runs = Number(process.env['FAULT_RUNS'] ?? 5)
const seed = Number(process.env['FAULT_SEED'] ?? Math.floor(Math.random() * 2 ** 31))

let relay: RelayProcess
const suiteCleanups: Cleanups = []
beforeAll(async () => {
  relay = await spawnRelay(await scratchDirectory(suiteCleanups, 'rowsync-faults-relay-'))
  suiteCleanups.push(() => stopRelay(relay).then(() => undefined))
})
afterAll(() => runCleanups(suiteCleanups))

type Step =
  | { type: 'edit'; device: number; kind: EditKind; row: number; amount: number }
  | { type: 'drop' }
  | { type: 'delay'; ms: number }
  | { type: 'cut'; bytes: number }
  | { type: 'refuse' }
  | { type: 'heal' }
  | { type: 'pause'; ms: number }

const deviceCount = 4
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      type: fc.constant('edit' as const),
      device: fc.nat({ max: deviceCount - 1 }),
      kind: fc.constantFrom<EditKind>(
        'insert',
        'title',
        'status',
        'increment',
        'increment',
        'delete',
      ),
      row: fc.nat({ max: 1000 }),
      amount: fc.integer({ min: 1, max: 5 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ type: 'drop' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('delay' as const),
      ms: fc.integer({ min: 1, max: 60 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('cut' as const),
      bytes: fc.integer({ min: 0, max: 4000 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ type: 'refuse' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'heal' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('pause' as const),
      ms: fc.integer({ min: 1, max: 100 }),
    }),
  },
)

const totals = {
  runs: 0,
  edits: 0,
  lost: 0,
  duplicated: 0,
  connections: 0,
  dropped: 0,
  cut: 0,
  refused: 0,
}

it(
  `converges with no edit lost or duplicated under ${runs} random fault schedules (seed ${seed})`,
  { timeout: 120_000 + runs * 60_000 },
  async () => {
    let run = 0
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 40, maxLength: 100 }), async (steps) => {
        const cleanups: Cleanups = []
        const proxy = await FaultProxy.start(Number(new URL(relay.url).port))
        cleanups.push(() => proxy.close())
        try {
          const prefix = `f${seed}-${run++}`
          const users = [dana, dana, tom, tom]
          const devices: CampaignDevice[] = []
          for (const [index, user] of users.entries()) {
            devices.push(
              await openCampaignDevice(cleanups, {
                name: `${user.id}-${index}`,
                user,
                relayUrl: proxy.url,
              }),
            )
          }
          const log = new EditLog(prefix)
          const inserted: string[] = []
          for (const current of steps) {
            switch (current.type) {
              case 'edit': {
                const device = devices[current.device]!
                if (current.kind === 'insert' || inserted.length === 0) {
                  const row = `${prefix}-${inserted.length}`
                  inserted.push(row)
                  await log.apply(device, 'insert', row)
                } else {
                  const row = inserted[current.row % inserted.length]!
                  await log.apply(device, current.kind, row, current.amount)
                }
                break
              }
              case 'drop':
                proxy.dropAll()
                break
              case 'delay':
                proxy.delayMs = current.ms
                break
              case 'cut':
                proxy.cutAfterBytes = current.bytes
                break
              case 'refuse':
                proxy.refusing = true
                break
              case 'heal':
                proxy.heal()
                break
              case 'pause':
                await new Promise((resolve) => setTimeout(resolve, current.ms))
                break
            }
          }
          proxy.heal()
          const convergence = await waitConverged(devices, 30_000).then(
            () => 'converged',
            (error: Error) => error.message,
          )
          const verifier = await openCampaignDevice(cleanups, {
            name: 'verifier',
            user: dana,
            relayUrl: relay.url,
          })
          await settledDevice(verifier)
          const all = [...devices, verifier]
          const result = await log.check(all)
          totals.runs += 1
          totals.edits += log.edits.length
          totals.lost += result.lost
          totals.duplicated += result.duplicated
          totals.connections += proxy.counts.connections
          totals.dropped += proxy.counts.dropped
          totals.cut += proxy.counts.cut
          totals.refused += proxy.counts.refused
          expect(result.problems).toStrictEqual([])
          expect(convergence).toBe('converged')
          // The verifier downloaded from the relay while the others were settled: all agree.
          await waitConverged(all, 30_000).catch(() => undefined)
          expect(converged(all), describeDivergence(all)).toBe(true)
        } finally {
          await runCleanups(cleanups)
        }
      }),
      { numRuns: runs, seed, endOnFailure: true },
    )
    console.log(`fault schedules (seed ${seed}): ${JSON.stringify(totals)}`)
    expect(totals.runs).toBe(runs)
  },
)

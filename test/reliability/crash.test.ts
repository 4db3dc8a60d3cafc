import fc from 'fast-check'
import { expect, it } from 'vitest'
import {
  api,
  dana,
  spawnRelay,
  stopRelay,
  temporaryDirectory,
  type RelayProcess,
} from './relayProcess.ts'

// Relay crash consistency: a relay process takes row writes over HTTP from concurrent writers
// and is killed with SIGKILL after a random number of acknowledgements (others still in
// flight). It restarts on the same data directory, and then every acknowledged write must be
// there (a later unacknowledged one may have landed too), every row must load, and the
// snapshot must stream. Then the restarted relay takes the next cycle's writes.
// Long run: RELIABILITY_CYCLES=200 npx vitest run --project integration crash.

const cycles = Number(process.env['RELIABILITY_CYCLES'] ?? 6)
const seed = Number(process.env['CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31))
const writers = 4
const rowsPerWriter = 5

interface RowItem {
  id: string
  values: { name: string }
}

/** Writes until the relay stops answering; `acked` gets the last acknowledged seq per row. */
async function writeUntilKilled(
  relay: RelayProcess,
  acked: Map<string, number>,
  killAfter: number,
  seqs: number[],
) {
  let acknowledgements = 0
  const writer = async (writerIndex: number) => {
    for (;;) {
      const seq = (seqs[writerIndex] = seqs[writerIndex]! + 1)
      const id = `c-${writerIndex}-${seq % rowsPerWriter}`
      let status: number
      try {
        status = (
          await api(relay, dana, 'PUT', `/v1/tables/customers/rows/${id}`, {
            values: { name: `seq ${seq}` },
          })
        ).status
      } catch {
        return // the relay is gone
      }
      expect([200, 201], `write ${id} seq ${seq}`).toContain(status)
      acked.set(id, Math.max(acked.get(id) ?? 0, seq))
      acknowledgements += 1
      if (acknowledgements === killAfter) relay.child.kill('SIGKILL')
    }
  }
  await Promise.all(Array.from({ length: writers }, (_, index) => writer(index)))
  await relay.exited
  return acknowledgements
}

/** Every acknowledged write is there and every row loads, on a freshly started relay. */
async function check(relay: RelayProcess, acked: Map<string, number>, cycle: number) {
  const list = await api(relay, dana, 'GET', '/v1/tables/customers/rows?limit=1000')
  expect(list.status, `cycle ${cycle}: list`).toBe(200)
  const rows = (JSON.parse(list.text) as { rows: RowItem[] }).rows
  for (const [id, seq] of acked) {
    const row = await api(relay, dana, 'GET', `/v1/tables/customers/rows/${id}`)
    expect(row.status, `cycle ${cycle}, seed ${seed}: ${id}`).toBe(200)
    const stored = Number((JSON.parse(row.text) as RowItem).values.name.split(' ')[1])
    expect(
      stored,
      `cycle ${cycle}, seed ${seed}: ${id} lost acknowledged seq`,
    ).toBeGreaterThanOrEqual(seq)
    expect(
      rows.map((item) => item.id),
      `cycle ${cycle}: ${id} listed`,
    ).toContain(id)
  }
  for (const item of rows) {
    const row = await api(relay, dana, 'GET', `/v1/tables/customers/rows/${item.id}`)
    expect(row.status, `cycle ${cycle}: ${item.id} loads`).toBe(200)
  }
  const snapshot = await api(relay, dana, 'GET', '/v1/snapshot')
  expect(snapshot.status, `cycle ${cycle}: snapshot`).toBe(200)
}

it(
  `keeps every acknowledged write across ${cycles} relay SIGKILLs (seed ${seed})`,
  { timeout: 60_000 + cycles * 30_000 },
  async ({ onTestFinished }) => {
    console.log(`crash: ${cycles} cycles, seed ${seed} (replay with CRASH_SEED=${seed})`)
    const { directory, remove } = await temporaryDirectory('rowsync-relay-crash-')
    let relay: RelayProcess | undefined
    onTestFinished(async () => {
      if (relay !== undefined) await stopRelay(relay)
      await remove()
    })
    const killAfter = fc.sample(fc.integer({ min: 1, max: 40 }), { numRuns: cycles, seed })
    const acked = new Map<string, number>()
    const seqs = Array.from({ length: writers }, () => 0)
    let acknowledged = 0
    for (let cycle = 0; cycle < cycles; cycle++) {
      relay = await spawnRelay(directory)
      await check(relay, acked, cycle)
      expect(relay.errorLogs(), `cycle ${cycle}: relay errors after restart`).toStrictEqual([])
      acknowledged += await writeUntilKilled(relay, acked, killAfter[cycle]!, seqs)
    }
    relay = await spawnRelay(directory)
    await check(relay, acked, cycles)
    console.log(
      `crash figures: ${cycles} SIGKILLs, ${seqs.reduce((a, b) => a + b, 0)} writes sent, ` +
        `${acknowledged} acknowledged, ${acked.size} rows, 0 acknowledged writes lost (checked after every restart)`,
    )
    expect(acknowledged).toBeGreaterThan(0)
  },
)

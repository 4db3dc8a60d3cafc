import { openDatabase, startSync } from '@rowsync/client'
import { LmdbStorageAdapter } from '@rowsync/client/node'
import { campaignSchema } from './campaign.ts'

// A device as its own process, for the device crash test: opens the LMDB database in
// DEVICE_DIR, syncs with RELAY_URL as dana (token in DEVICE_TOKEN), and writes until killed:
// for each step it inserts a customer `<run>-<n>` and increments the counter of one shared
// work order, printing one line per write once the write call resolved (durable on the
// device). It first prints what it holds, so the parent can check it after every restart.

const directory = process.env['DEVICE_DIR'] ?? ''
const relayUrl = process.env['RELAY_URL'] ?? ''
const token = process.env['DEVICE_TOKEN'] ?? ''
const run = process.env['DEVICE_RUN'] ?? '0'
const counterRow = 'crash-counter'

const database = await openDatabase({
  schema: campaignSchema,
  storage: await LmdbStorageAdapter.open(directory),
  user: 'dana',
})
const customers = database.table('customers')
const workOrders = database.table('workOrders')
const names = customers.list().map((row) => String(row['name']))
const counter = Number(workOrders.get(counterRow)?.['partsUsed'] ?? 0)
console.log(JSON.stringify({ type: 'start', names, counter, pending: database.outbox.size }))
startSync(database, { relay: relayUrl, token: () => token, backoff: { initialMs: 20, maxMs: 200 } })
if (!workOrders.get(counterRow)) {
  await workOrders.insert({ title: 'crash counter', technician: 'tom' }, { id: counterRow })
  console.log(JSON.stringify({ type: 'counter-row' }))
}
for (let step = 0; ; step++) {
  const name = `${run}-${step}`
  await customers.insert({ name }, { id: name })
  console.log(JSON.stringify({ type: 'insert', name }))
  await workOrders.increment(counterRow, 'partsUsed', 1)
  console.log(JSON.stringify({ type: 'increment' }))
}

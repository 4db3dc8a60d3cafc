// A device that works offline: opens a Rowsync database on disk, writes work orders, closes,
// opens again and reads everything back with its history. Run it twice: the rows pile up.
import { openDatabase } from '@rowsync/client'
import { LmdbStorageAdapter } from '@rowsync/client/node'
import { defineSchema } from '@rowsync/schema'

const schema = defineSchema({
  database: 'field-service',
  tables: {
    workOrders: {
      fields: {
        title: { type: 'string', required: true },
        status: {
          type: 'choice',
          values: ['open', 'scheduled', 'done'],
          default: 'open',
          policy: 'flag',
        },
        notes: { type: 'text' },
        partsUsed: { type: 'counter' },
      },
    },
  },
})

const directory = process.env.DATA_DIR ?? 'data/example-device'
const storage = await LmdbStorageAdapter.open(directory)
const db = await openDatabase({ schema, storage, user: 'inspector' })
const workOrders = db.table('workOrders')
const order = await workOrders.insert({ title: `Inspect boiler #${workOrders.count() + 1}` })
await workOrders.update(order.id, { status: 'scheduled', notes: 'Bring the pressure gauge.' })
await workOrders.increment(order.id, 'partsUsed', 2)
await db.close()
await storage.close()
console.log(`Wrote ${order.id} on device ${db.device}; closed the database.`)

const reopenedStorage = await LmdbStorageAdapter.open(directory)
const reopened = await openDatabase({ schema, storage: reopenedStorage, user: 'inspector' })
const rows = reopened.table('workOrders').query({ orderBy: 'title' })
console.log(`Reopened ${directory}: ${rows.length} work orders on this device.`)
console.table(rows)
for (const event of await reopened.history('workOrders', order.id)) {
  const fields = event.fields.map((change) => `${change.field}=${JSON.stringify(change.to)}`)
  console.log(
    `${new Date(event.time).toISOString()} ${event.user} ${event.kind}: ${fields.join(', ')}`,
  )
}
await reopened.close()
await reopenedStorage.close()

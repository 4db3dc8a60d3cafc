import { defineSchema } from '@rowsync/schema'
import { openDatabase } from '../src/Database.ts'
import { MemoryStorageAdapter } from '../src/storage/MemoryStorageAdapter.ts'

/** A small field-service schema with every field type and policy. */
export const schema = defineSchema({
  database: 'field-service',
  tables: {
    customers: {
      fields: {
        name: { type: 'string', required: true },
      },
    },
    workOrders: {
      deletePolicy: 'flag',
      fields: {
        title: { type: 'string', required: true },
        status: {
          type: 'choice',
          values: ['open', 'scheduled', 'done'],
          default: 'open',
          policy: 'flag',
        },
        priority: { type: 'integer', default: 3 },
        estimate: { type: 'number' },
        urgent: { type: 'boolean', default: false },
        due: { type: 'date' },
        visitAt: { type: 'datetime' },
        notes: { type: 'text' },
        customer: { type: 'reference', table: 'customers' },
        partsUsed: { type: 'counter' },
        assignee: { type: 'string', policy: 'flag' },
      },
    },
    notes: {
      fields: {
        body: { type: 'text', required: true },
      },
    },
  },
})

/** Opens a database on fresh (or given) in-memory storage with a fixed clock. */
export async function openTestDatabase(
  options: { user?: string; storage?: MemoryStorageAdapter; now?: () => number } = {},
) {
  const storage = options.storage ?? new MemoryStorageAdapter()
  const db = await openDatabase({
    schema,
    storage,
    user: options.user ?? 'alice',
    now: options.now ?? (() => 1_700_000_000_000),
  })
  return { db, storage, workOrders: db.table('workOrders') }
}

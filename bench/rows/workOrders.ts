import { defineSchema, rowDocumentId, toRowId } from '@rowsync/schema'

/** The values of the `status` choice; the first is the default. */
export const statuses = ['open', 'scheduled', 'started', 'blocked', 'done', 'cancelled'] as const

/**
 * The benchmarks' table: a typical work order with one field per merge policy (`site` merge,
 * `status` flag, `notes` text, `visits` counter).
 */
export const workOrdersSchema = defineSchema({
  database: 'bench',
  tables: {
    workOrders: {
      fields: {
        title: { type: 'string', required: true },
        site: { type: 'string' },
        status: { type: 'choice', values: statuses, default: 'open', policy: 'flag' },
        priority: { type: 'integer', default: 3 },
        due: { type: 'date' },
        notes: { type: 'text' },
        visits: { type: 'counter' },
      },
    },
  },
})

/** The notes every row starts with. */
export const baseNotes = 'Check the valve and the pressure gauge.'

/** The values row `index` is created with. */
export function baseRow(index: number) {
  return {
    title: `Work order ${index}`,
    site: `Site ${index % 97}`,
    status: statuses[0],
    priority: index % 5,
    due: `2026-${String((index % 12) + 1).padStart(2, '0')}-15`,
    notes: baseNotes,
  }
}

/** The Rowsync row id of row `index`. */
export function rowIdOf(index: number): string {
  return `wo-${index}`
}

/** The Rowsync document id of row `index`. */
export function documentIdOf(index: number): string {
  return rowDocumentId(workOrdersSchema.database, 'workOrders', toRowId(rowIdOf(index)))
}

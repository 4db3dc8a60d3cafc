import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as Automerge from '@automerge/automerge'
import { MemoryStorageAdapter, openDatabase, type Database } from '@rowsync/client'
import { LmdbStorageAdapter } from '@rowsync/client/node'
import { exchange } from '@rowsync/client/testing'
import { defineSchema } from '@rowsync/schema'
import { directorySize, measure, type Measurement } from './measure.ts'

/** The benchmark table: a typical work order with a flagged status. */
const schema = defineSchema({
  database: 'bench',
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
        priority: { type: 'integer', default: 3 },
        site: { type: 'string' },
        due: { type: 'date' },
        notes: { type: 'text' },
      },
    },
  },
})
type BenchDatabase = Database<typeof schema.definition>

const row = (index: number) => ({
  title: `Work order ${index}`,
  priority: index % 5,
  site: `Site ${index % 97}`,
  due: `2026-${String((index % 12) + 1).padStart(2, '0')}-15`,
  notes: 'Check the valve and the pressure gauge.',
})

async function withLmdb<T>(
  run: (storage: LmdbStorageAdapter, directory: string) => Promise<T>,
): Promise<T> {
  const directory = await mkdtemp(join(tmpdir(), 'rowsync-bench-'))
  const storage = await LmdbStorageAdapter.open(directory)
  try {
    return await run(storage, directory)
  } finally {
    await storage.close()
    await rm(directory, { recursive: true, force: true })
  }
}

async function insertRows(db: BenchDatabase, rows: number, prefix = 'wo'): Promise<void> {
  const table = db.table('workOrders')
  const batch = 1000
  for (let start = 0; start < rows; start += batch) {
    const writes = []
    for (let index = start; index < Math.min(rows, start + batch); index++) {
      writes.push(table.insert(row(index), { id: `${prefix}-${index}` }))
    }
    await Promise.all(writes)
  }
}

/** Insert and update throughput on durable LMDB storage, plus bytes on disk per row. */
export async function writeThroughput(rows: number): Promise<Measurement[]> {
  return withLmdb(async (storage, directory) => {
    const db = await openDatabase({ schema, storage, user: 'bench' })
    const insert = await measure('rowsync insert (LMDB, durable)', rows, () => insertRows(db, rows))
    const table = db.table('workOrders')
    const update = await measure('rowsync update (LMDB, durable)', rows, async () => {
      const writes = []
      for (let index = 0; index < rows; index++) {
        writes.push(table.update(`wo-${index}`, { priority: (index % 5) + 1 }))
        if (writes.length === 1000) await Promise.all(writes.splice(0))
      }
      await Promise.all(writes)
    })
    await db.close()
    const bytes = await directorySize(directory)
    const raw = await measure('raw Automerge create + save (memory)', rows, () => {
      for (let index = 0; index < rows; index++) {
        const doc = Automerge.from({ _table: 'workOrders', _id: `wo-${index}`, ...row(index) })
        Automerge.save(doc)
        Automerge.free(doc)
      }
      return Promise.resolve()
    })
    return [
      insert,
      update,
      { ...raw },
      { name: 'LMDB bytes on disk per row', rows, value: bytes / rows, unit: 'B/row' },
    ]
  })
}

/** Opening a device with `rows` rows and answering a first query, against loading every document. */
export async function openAndQuery(rows: number): Promise<Measurement[]> {
  return withLmdb(async (storage) => {
    const db = await openDatabase({ schema, storage, user: 'bench' })
    await insertRows(db, rows)
    await db.close()
    const open = await measure('rowsync open + first query (LMDB)', rows, async () => {
      const reopened = await openDatabase({ schema, storage, user: 'bench' })
      const result = reopened.table('workOrders').query({
        where: { status: 'open', priority: { gte: 3 } },
        orderBy: [{ field: 'due', direction: 'desc' }],
        limit: 50,
      })
      if (result.length !== 50) throw new Error(`first query returned ${result.length} rows`)
      await reopened.close()
    })
    const baseline = await measure(
      'baseline: load every Automerge document (LMDB)',
      rows,
      async () => {
        for (const chunk of await storage.loadRange(['doc'])) {
          Automerge.free(Automerge.load(chunk.data!))
        }
      },
    )
    return [open, baseline]
  })
}

/** Merging two diverged copies of `rows` rows, every row conflicting, against raw Automerge.merge. */
export async function mergeDiverged(rows: number): Promise<Measurement[]> {
  return withLmdb(async (storage) => mergeInto(storage, rows))
}

async function mergeInto(storage: LmdbStorageAdapter, rows: number): Promise<Measurement[]> {
  const a = await openDatabase({ schema, storage, user: 'alice' })
  const b = await openDatabase({ schema, storage: new MemoryStorageAdapter(), user: 'bob' })
  await insertRows(a, rows)
  await exchange(a, b)
  for (const [db, status] of [
    [a, 'done'],
    [b, 'scheduled'],
  ] as const) {
    const table = db.table('workOrders')
    const writes = []
    for (let index = 0; index < rows; index++) writes.push(table.update(`wo-${index}`, { status }))
    await Promise.all(writes)
  }
  const documentIds = a.documentIds()
  const fromA = await Promise.all(documentIds.map(async (id) => (await a.exportDocument(id))!))
  const fromB = await Promise.all(documentIds.map(async (id) => (await b.exportDocument(id))!))
  await b.close()
  const raw = await measure('raw Automerge.merge (load both, merge, save)', rows, () => {
    for (let index = 0; index < rows; index++) {
      const left = Automerge.load(fromA[index]!)
      const right = Automerge.load(fromB[index]!)
      const merged = Automerge.merge(left, right)
      Automerge.getConflicts(merged, 'status')
      Automerge.save(merged)
      Automerge.free(merged)
      Automerge.free(right)
    }
    return Promise.resolve()
  })
  // Rowsync merges into a's stored copies: load, merge, validate, flag, store durably.
  const merge = await measure('rowsync merge into stored rows (LMDB, durable)', rows, async () => {
    const imports = []
    for (let index = 0; index < rows; index++) {
      imports.push(a.importDocument(documentIds[index]!, fromB[index]!))
      if (imports.length === 1000) await Promise.all(imports.splice(0))
    }
    await Promise.all(imports)
  })
  const flagged = (await a.conflicts()).length
  await a.close()
  if (flagged !== rows) throw new Error(`merge flagged ${flagged} of ${rows} rows`)
  return [raw, merge]
}

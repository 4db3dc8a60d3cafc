import * as Automerge from '@automerge/automerge'
import type { StorageAdapterInterface } from '@automerge/automerge-repo/slim'
import { MemoryStorageAdapter, openDatabase, type Database } from '@rowsync/client'
import { LmdbStorageAdapter } from '@rowsync/client/node'
import { LoroDoc } from 'loro-crdt'
import * as Y from 'yjs'
import { directorySize, repeat, type Measurement } from './measure.ts'
import { createAutomergeRow, type AutomergeRow } from './rows/automergeRow.ts'
import { createLoroRow, withLoroRow } from './rows/loroRow.ts'
import { baseRow, rowIdOf, workOrdersSchema } from './rows/workOrders.ts'
import { createYjsRow, yjsRow } from './rows/yjsRow.ts'
import type { BenchCase, CaseOptions, MeasureOptions, Scenario } from './Scenario.ts'
import { removeDirectory, storedBytes, temporaryDirectory } from './storage.ts'
import type { SystemId } from './systems.ts'

type BenchDatabase = Database<typeof workOrdersSchema.definition>

/** Writes go in batches of this many concurrent calls, as an app saving a form at a time would not. */
const batchSize = 1000

const rowCounts: Record<CaseOptions['suite'], number[]> = {
  quick: [1_000, 10_000],
  full: [1_000, 10_000, 100_000],
}

function rowCases({ suite, rows }: CaseOptions): BenchCase[] {
  return (rows === undefined ? rowCounts[suite] : [rows]).map((count) => ({
    rows: count,
    parameters: {},
  }))
}

async function inBatches(rows: number, write: (index: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < rows; start += batchSize) {
    const writes = []
    for (let index = start; index < Math.min(rows, start + batchSize); index++) {
      writes.push(write(index))
    }
    await Promise.all(writes)
  }
}

async function insertRows(db: BenchDatabase, rows: number): Promise<void> {
  const table = db.table('workOrders')
  await inBatches(rows, (index) => table.insert(baseRow(index), { id: rowIdOf(index) }))
}

function sum(chunks: readonly Uint8Array[]): number {
  return chunks.reduce((total, chunk) => total + chunk.byteLength, 0)
}

/** A fresh store for one run; `size` is what it holds, `dispose` removes it. */
async function freshStorage(system: 'rowsync-memory' | 'rowsync-lmdb'): Promise<{
  storage: StorageAdapterInterface
  size(): Promise<number>
  dispose(): Promise<void>
}> {
  if (system === 'rowsync-memory') {
    const storage = new MemoryStorageAdapter()
    return { storage, size: () => storedBytes(storage), dispose: () => Promise.resolve() }
  }
  const directory = await temporaryDirectory()
  const storage = await LmdbStorageAdapter.open(directory)
  return {
    storage,
    size: () => directorySize(directory),
    dispose: async () => {
      await storage.close()
      await removeDirectory(directory)
    },
  }
}

function measureWrites(
  benchCase: BenchCase,
  system: SystemId,
  options: MeasureOptions,
): Promise<Measurement[]> {
  const repeatOptions = { system, benchCase, ...options }
  switch (system) {
    case 'rowsync-memory':
    case 'rowsync-lmdb':
      return repeat(repeatOptions, async ({ rows, time, record }) => {
        const store = await freshStorage(system)
        const db = await openDatabase({
          schema: workOrdersSchema,
          storage: store.storage,
          user: 'bench',
        })
        const table = db.table('workOrders')
        await time('insert', () => insertRows(db, rows))
        record('insert', { stored: (await store.size()) / rows })
        await time('update', () =>
          inBatches(rows, (index) => table.update(rowIdOf(index), { priority: (index % 5) + 1 })),
        )
        await db.close()
        record('update', { stored: (await store.size()) / rows })
        await store.dispose()
      })
    case 'rowsync-relay':
    case 'automerge-repo':
      throw new Error(`write-throughput: ${system} is a sync system; it has no local writes`)
    case 'automerge':
      return repeat(repeatOptions, async ({ rows, time, record }) => {
        const saved: Uint8Array[] = []
        const changes: Uint8Array[] = []
        await time('insert', () => {
          for (let index = 0; index < rows; index++) {
            const doc = createAutomergeRow(index)
            saved.push(Automerge.save(doc))
            Automerge.free(doc)
          }
        })
        record('insert', { stored: sum(saved) / rows })
        await time('update', () => {
          for (let index = 0; index < rows; index++) {
            const doc = Automerge.change(Automerge.load<AutomergeRow>(saved[index]!), (row) => {
              row.priority = (index % 5) + 1
            })
            changes.push(Automerge.saveIncremental(doc))
            Automerge.free(doc)
          }
        })
        record('update', { stored: (sum(saved) + sum(changes)) / rows })
      })
    case 'yjs':
      return repeat(repeatOptions, async ({ rows, time, record }) => {
        const saved: Uint8Array[] = []
        const changes: Uint8Array[] = []
        await time('insert', () => {
          for (let index = 0; index < rows; index++) {
            const doc = createYjsRow(index)
            saved.push(Y.encodeStateAsUpdate(doc))
            doc.destroy()
          }
        })
        record('insert', { stored: sum(saved) / rows })
        await time('update', () => {
          for (let index = 0; index < rows; index++) {
            const doc = new Y.Doc()
            Y.applyUpdate(doc, saved[index]!)
            const before = Y.encodeStateVector(doc)
            yjsRow(doc).set('priority', (index % 5) + 1)
            changes.push(Y.encodeStateAsUpdate(doc, before))
            doc.destroy()
          }
        })
        record('update', { stored: (sum(saved) + sum(changes)) / rows })
      })
    case 'loro':
      return repeat(repeatOptions, async ({ rows, time, record }) => {
        const saved: Uint8Array[] = []
        const changes: Uint8Array[] = []
        await time('insert', () => {
          for (let index = 0; index < rows; index++) {
            const doc = createLoroRow(index)
            saved.push(doc.export({ mode: 'snapshot' }))
            doc.free()
          }
        })
        record('insert', { stored: sum(saved) / rows })
        await time('update', () => {
          for (let index = 0; index < rows; index++) {
            const doc = LoroDoc.fromSnapshot(saved[index]!)
            const before = doc.oplogVersion()
            withLoroRow(doc, (row) => row.set('priority', (index % 5) + 1))
            doc.commit()
            changes.push(doc.export({ mode: 'update', from: before }))
            doc.free()
          }
        })
        record('update', { stored: (sum(saved) + sum(changes)) / rows })
      })
  }
}

/** Insert and update throughput: Rowsync durable on LMDB or in memory, the baselines in memory. */
export const writeThroughput: Scenario<undefined> = {
  name: 'write-throughput',
  description:
    'Inserting `rows` rows, then changing one field of each. Rowsync writes through its API ' +
    '(1,000 writes in flight, each durable when it resolves); the baselines create each row ' +
    'document and save it (insert), then load it, change it and save the change (update), ' +
    'in memory. Stored bytes: LMDB files on disk, or the bytes saved, per row.',
  systems: ['rowsync-lmdb', 'rowsync-memory', 'automerge', 'yjs', 'loro'],
  quickSystems: ['rowsync-lmdb', 'automerge', 'yjs', 'loro'],
  cases: rowCases,
  prepare: (_benchCase, systems) =>
    Promise.resolve({
      fixtures: new Map(systems.map((system) => [system, undefined])),
      dispose: () => Promise.resolve(),
    }),
  measure: (benchCase, system, _fixture, options) => measureWrites(benchCase, system, options),
}

/** Where the open-query rows are stored: one LMDB directory written by Rowsync. */
interface StoredRows {
  readonly directory: string
}

/** How many rows the first query returns from `rows` rows: open ones of priority 3 or more, at most 50. */
function expectedQueryRows(rows: number): number {
  let matches = 0
  for (let index = 0; index < rows; index++) if (baseRow(index).priority >= 3) matches++
  return Math.min(50, matches)
}

/** Opening a device with `rows` rows and answering a first query, against loading every document. */
export const openQuery: Scenario<StoredRows> = {
  name: 'open-query',
  description:
    'Opening a device that holds `rows` rows on LMDB and answering a first query (a filter, ' +
    'a sort, 50 rows): Rowsync reads its stored row projections; the baseline loads every ' +
    'Automerge document from the same store, as a store without projections would have to.',
  systems: ['rowsync-lmdb', 'automerge'],
  cases: rowCases,
  async prepare(benchCase, systems) {
    const directory = await temporaryDirectory()
    const storage = await LmdbStorageAdapter.open(directory)
    const db = await openDatabase({ schema: workOrdersSchema, storage, user: 'bench' })
    await insertRows(db, benchCase.rows)
    await db.close()
    await storage.close()
    return {
      fixtures: new Map(systems.map((system) => [system, { directory }])),
      dispose: () => removeDirectory(directory),
    }
  },
  measure(benchCase, system, { directory }, options) {
    const expected = expectedQueryRows(benchCase.rows)
    return repeat({ system, benchCase, ...options }, async ({ rows, time }) => {
      const storage = await LmdbStorageAdapter.open(directory)
      if (system === 'rowsync-lmdb') {
        let db: BenchDatabase | undefined
        await time('open + first query', async () => {
          db = await openDatabase({ schema: workOrdersSchema, storage, user: 'bench' })
          const result = db.table('workOrders').query({
            where: { status: 'open', priority: { gte: 3 } },
            orderBy: [{ field: 'due', direction: 'desc' }],
            limit: 50,
          })
          if (result.length !== expected) {
            throw new Error(
              `open-query: first query returned ${result.length} rows, expected ${expected}`,
            )
          }
        })
        await db?.close()
      } else {
        await time('open + first query', async () => {
          const chunks = await storage.loadRange(['doc'])
          const byDocument = new Map<string | undefined, Uint8Array[]>()
          for (const { key, data } of chunks) {
            if (data) byDocument.set(key[1], [...(byDocument.get(key[1]) ?? []), data])
          }
          let loaded = 0
          for (const bytes of byDocument.values()) {
            if (loaded++ === rows) break
            Automerge.free(Automerge.loadIncremental(Automerge.init(), concat(bytes)))
          }
        })
      }
      await storage.close()
    })
  },
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(sum(chunks))
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

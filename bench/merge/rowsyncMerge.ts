import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { MemoryStorageAdapter, openDatabase, type Database } from '@rowsync/client'
import { LmdbStorageAdapter } from '@rowsync/client/node'
import { directorySize, repeat, type Measurement } from '../measure.ts'
import type { MeasureOptions } from '../Scenario.ts'
import {
  removeDirectory,
  saveEntries,
  storageEntries,
  storedBytes,
  temporaryDirectory,
  type StorageEntry,
} from '../storage.ts'
import { baseNotes, baseRow, documentIdOf, rowIdOf, workOrdersSchema } from '../rows/workOrders.ts'
import {
  bytesOf,
  checkMerged,
  counterEdit,
  editedRows,
  fieldOfPolicy,
  isEdited,
  mergeCase,
  siteEdit,
  statusEdit,
  sampleRows,
  textEdit,
  type MergeFixture,
  type MergeWorkload,
} from './workload.ts'

type MergeDatabase = Database<typeof workOrdersSchema.definition>

/** Writes and imports go in batches of this many, so a batch's documents stay loaded. */
const batchSize = 1000

/**
 * Replica 0 after inserting every row, before any replica edits, and its exported documents:
 * the same for every case of a row count, so consecutive cases (row counts come outermost)
 * build it once.
 */
let base: { rows: number; entries: StorageEntry[]; exports: Uint8Array[] } | undefined

async function baseOf(rows: number): Promise<{ entries: StorageEntry[]; exports: Uint8Array[] }> {
  if (base?.rows === rows) return base
  base = undefined
  const storage = new MemoryStorageAdapter()
  const db = await openDatabase({
    schema: workOrdersSchema,
    storage,
    user: 'replica-0',
    maxLoadedDocuments: 2 * batchSize,
  })
  const table = db.table('workOrders')
  const exports: Uint8Array[] = []
  for (let start = 0; start < rows; start += batchSize) {
    const indexes = range(start, Math.min(rows, start + batchSize))
    await Promise.all(indexes.map((index) => table.insert(baseRow(index), { id: rowIdOf(index) })))
    exports.push(...(await exportRows(db, indexes)))
  }
  await db.close()
  base = { rows, entries: await storageEntries(storage), exports }
  return base
}

function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, offset) => start + offset)
}

function exportRows(db: MergeDatabase, indexes: readonly number[]): Promise<Uint8Array[]> {
  return Promise.all(
    indexes.map(async (index) => {
      const bytes = await db.exportDocument(documentIdOf(index))
      if (!bytes) throw new Error(`merge fixture: row ${index} missing from its replica`)
      return bytes
    }),
  )
}

function editRow(
  db: MergeDatabase,
  workload: MergeWorkload,
  replica: number,
  index: number,
): Promise<unknown> {
  const table = db.table('workOrders')
  const id = rowIdOf(index)
  switch (workload.policy) {
    case 'merge':
      return table.update(id, { site: siteEdit(replica, index) })
    case 'flag':
      return table.update(id, { status: statusEdit(replica) })
    case 'text':
      return table.update(id, { notes: baseNotes + textEdit(replica) })
    case 'counter':
      return table.increment(id, 'visits', counterEdit(replica))
  }
}

/**
 * Builds the merge inputs from real Rowsync databases: replica 0 inserts the rows, every replica
 * starts from that state (a copy of its storage, under its own device id), edits its share of
 * rows concurrently, and exports them. The raw Automerge baseline gets the same documents.
 * @param workload - the case
 * @returns replica 0's storage and exported documents, and the documents the others export
 */
export async function buildRowsyncFixture(workload: MergeWorkload): Promise<MergeFixture> {
  const { entries, exports } = await baseOf(workload.rows)
  const edited = range(0, workload.rows).filter((index) => isEdited(workload, index))
  let storage: StorageEntry[] = entries
  const copies: Uint8Array[][] = []
  for (let replica = 0; replica < workload.replicas; replica++) {
    const copy = [...exports]
    copies.push(copy)
    if (edited.length === 0) continue
    const adapter = new MemoryStorageAdapter()
    // Each replica gets its own device id, as a device that received the rows would have.
    await saveEntries(
      adapter,
      entries.filter(({ key }) => key[0] !== 'meta'),
    )
    const db = await openDatabase({
      schema: workOrdersSchema,
      storage: adapter,
      user: `replica-${replica}`,
      maxLoadedDocuments: 2 * batchSize,
    })
    for (let start = 0; start < edited.length; start += batchSize) {
      const indexes = edited.slice(start, start + batchSize)
      await Promise.all(indexes.map((index) => editRow(db, workload, replica, index)))
      const bytes = await exportRows(db, indexes)
      indexes.forEach((index, offset) => (copy[index] = bytes[offset]!))
    }
    await db.close()
    if (replica === 0) storage = await storageEntries(adapter)
  }
  const [stored, ...received] = copies
  return { stored: stored!, received, storage }
}

/**
 * Measures Rowsync merging: replica 0, a real database on memory or LMDB storage, imports every
 * other replica's exported copy of each row (`importDocument`: load, merge, validate, flag, store).
 * @param workload - the case
 * @param system - which storage replica 0 uses
 * @param fixture - from {@link buildRowsyncFixture}
 * @param options - runs and progress
 * @throws {Error} when an import is refused or a merged row is not what the edits give
 */
export async function measureRowsyncMerge(
  workload: MergeWorkload,
  system: 'rowsync-memory' | 'rowsync-lmdb',
  fixture: MergeFixture,
  options: MeasureOptions,
): Promise<Measurement[]> {
  const entries = fixture.storage
  if (!entries) throw new Error(`merge: the ${system} fixture has no storage entries`)
  const template = system === 'rowsync-lmdb' ? await lmdbTemplate(entries) : undefined
  const wire = bytesOf(fixture.received) / workload.rows
  let conflictsChecked = false
  try {
    return await repeat(
      { system, benchCase: mergeCase(workload), ...options },
      async ({ rows, warmUp, time, record }) => {
        const replica = await openReplica(entries, template)
        const db = await openDatabase({
          schema: workOrdersSchema,
          storage: replica.storage,
          user: 'replica-0',
        })
        await time('merge', () => importCopies(db, fixture, rows))
        if (!warmUp) {
          const table = db.table('workOrders')
          const field = fieldOfPolicy[workload.policy]
          for (const index of sampleRows(rows)) {
            checkMerged(system, workload, index, table.get(rowIdOf(index))?.[field])
          }
          // Reading every conflict loads every flagged document; once per case is enough.
          if (workload.policy === 'flag' && !conflictsChecked) {
            const flagged = (await db.conflicts('workOrders')).length
            if (flagged !== editedRows(workload)) {
              throw new Error(
                `${system} merge flagged ${flagged} rows, expected ${editedRows(workload)}`,
              )
            }
            conflictsChecked = true
          }
        }
        await db.close()
        const stored = await replica.close()
        record('merge', { stored: stored / workload.rows, wire })
      },
    )
  } finally {
    if (template) await removeDirectory(template)
  }
}

async function importCopies(db: MergeDatabase, fixture: MergeFixture, rows: number): Promise<void> {
  const imports: Array<Promise<void>> = []
  for (let index = 0; index < rows; index++) {
    const documentId = documentIdOf(index)
    for (const copies of fixture.received) {
      imports.push(
        db.importDocument(documentId, copies[index]!).then((result) => {
          if (!result.ok) throw new Error(`merge: import of row ${index} refused: ${result.reason}`)
        }),
      )
    }
    if (imports.length >= batchSize) await Promise.all(imports.splice(0))
  }
  await Promise.all(imports)
}

/** An LMDB store holding the entries, copied for each run so every run starts from the same files. */
async function lmdbTemplate(entries: readonly StorageEntry[]): Promise<string> {
  const directory = await temporaryDirectory()
  const storage = await LmdbStorageAdapter.open(directory)
  await saveEntries(storage, entries)
  await storage.close()
  return directory
}

/** Replica 0's storage for one run; closing it reports the bytes it holds. */
async function openReplica(
  entries: readonly StorageEntry[],
  template: string | undefined,
): Promise<{ storage: MemoryStorageAdapter | LmdbStorageAdapter; close(): Promise<number> }> {
  if (template === undefined) {
    const storage = new MemoryStorageAdapter()
    await saveEntries(storage, entries)
    return { storage, close: () => storedBytes(storage) }
  }
  const directory = join(await temporaryDirectory(), 'replica')
  await cp(template, directory, { recursive: true })
  const storage = await LmdbStorageAdapter.open(directory)
  return {
    storage,
    close: async () => {
      await storage.close()
      const bytes = await directorySize(directory)
      await removeDirectory(join(directory, '..'))
      return bytes
    },
  }
}

import type { Chunk, StorageKey } from '@automerge/automerge-repo/slim'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/Database.ts'
import { MemoryStorageAdapter } from '../../src/storage/MemoryStorageAdapter.ts'
import { openTestDatabase, schema } from '../fixtures.ts'

async function setup() {
  const opened = await openTestDatabase()
  await opened.workOrders.insert({ title: 'Fix pump', notes: 'bring a wrench' }, { id: 'wo-1' })
  await opened.workOrders.update('wo-1', { status: 'scheduled', priority: 1 })
  await opened.workOrders.increment('wo-1', 'partsUsed', 2)
  await opened.workOrders.insert({ title: 'Paint fence' }, { id: 'wo-2' })
  await opened.workOrders.delete('wo-2')
  await opened.db.table('customers').insert({ name: 'Acme' }, { id: 'c-1' })
  return opened
}

describe('reopening a database', () => {
  it('shows the same rows after close', async () => {
    const { db, storage, workOrders } = await setup()
    const rows = workOrders.list()
    await db.close()
    const reopened = await openTestDatabase({ storage })
    expect(reopened.workOrders.list()).toEqual(rows)
  })

  it('shows the rows of every table after close', async () => {
    const { db, storage } = await setup()
    await db.close()
    const reopened = await openTestDatabase({ storage })
    expect(reopened.db.table('customers').get('c-1')?.name).toBe('Acme')
  })

  it('keeps deleted rows deleted', async () => {
    const { db, storage } = await setup()
    await db.close()
    const reopened = await openTestDatabase({ storage })
    expect(reopened.workOrders.get('wo-2')).toBeUndefined()
  })

  it('keeps the device id', async () => {
    const { db, storage } = await setup()
    await db.close()
    const reopened = await openTestDatabase({ storage })
    expect(reopened.db.device).toBe(db.device)
  })

  it('gives a database on other storage another device id', async () => {
    const { db } = await setup()
    const other = await openTestDatabase()
    expect(other.db.device).not.toBe(db.device)
  })

  it('keeps the history', async () => {
    const { db, storage } = await setup()
    const history = await db.history('workOrders', 'wo-1')
    await db.close()
    const reopened = await openTestDatabase({ storage })
    expect(await reopened.db.history('workOrders', 'wo-1')).toEqual(history)
  })

  it('accepts changes to a row stored before', async () => {
    const { db, storage } = await setup()
    await db.close()
    const reopened = await openTestDatabase({ storage })
    await reopened.workOrders.update('wo-1', { notes: 'bring two wrenches' })
    await reopened.workOrders.increment('wo-1', 'partsUsed')
    expect(reopened.workOrders.get('wo-1')).toMatchObject({
      notes: 'bring two wrenches',
      partsUsed: 3,
    })
  })

  it('keeps a row changed many times (its chunks compacted)', async () => {
    const { db, storage, workOrders } = await setup()
    for (let priority = 0; priority < 20; priority++) {
      await workOrders.update('wo-1', { priority })
    }
    await db.close()
    const reopened = await openTestDatabase({ storage })
    expect(reopened.workOrders.get('wo-1')?.priority).toBe(19)
    expect(await reopened.db.history('workOrders', 'wo-1')).toHaveLength(23)
  })

  it('keeps every resolved write when the database was never closed', async () => {
    const { storage, workOrders } = await setup()
    await workOrders.update('wo-1', { title: 'Fix big pump' })
    const rows = workOrders.list()
    const reopened = await openTestDatabase({ storage })
    expect(reopened.workOrders.list()).toEqual(rows)
  })

  it('keeps writes issued together and then closed without awaiting them', async () => {
    const { db, storage, workOrders } = await setup()
    const writes = [
      workOrders.insert({ title: 'One' }, { id: 'wo-3' }),
      workOrders.insert({ title: 'Two' }, { id: 'wo-4' }),
      workOrders.update('wo-1', { estimate: 2.5 }),
      workOrders.increment('wo-1', 'partsUsed', 5),
    ]
    await db.close()
    await Promise.all(writes)
    const reopened = await openTestDatabase({ storage })
    expect(reopened.workOrders.list().map((row) => row.id)).toEqual(['wo-1', 'wo-3', 'wo-4'])
    expect(reopened.workOrders.get('wo-1')).toMatchObject({ estimate: 2.5, partsUsed: 7 })
  })

  it('keeps writes that resolved before an unawaited close', async () => {
    const { db, storage, workOrders } = await setup()
    const writes = Promise.all([
      workOrders.insert({ title: 'One' }, { id: 'wo-3' }),
      workOrders.update('wo-1', { estimate: 2.5 }),
    ])
    const closing = db.close()
    await writes
    const reopened = await openTestDatabase({ storage })
    expect(reopened.workOrders.get('wo-3')?.title).toBe('One')
    expect(reopened.workOrders.get('wo-1')?.estimate).toBe(2.5)
    await closing
  })
})

/** Memory storage that counts the loads of row document chunks. */
class CountingStorage extends MemoryStorageAdapter {
  documentLoads = 0

  override loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    if (keyPrefix[0] === 'doc' && keyPrefix.length === 2) this.documentLoads++
    return super.loadRange(keyPrefix)
  }
}

describe('bounded memory', () => {
  // There is no public count of loaded documents; a document that was let go must be read from
  // storage again before its next write, so the loads of document chunks show which stayed.
  async function setupBounded(maxLoadedDocuments: number) {
    const storage = new CountingStorage()
    const db = await openDatabase({ schema, storage, user: 'alice', maxLoadedDocuments })
    const workOrders = db.table('workOrders')
    for (let index = 0; index < 100; index++) {
      await workOrders.insert({ title: `Order ${index}` }, { id: `wo-${index}` })
    }
    storage.documentLoads = 0
    return { db, storage, workOrders }
  }

  it('keeps the most recently written documents loaded', async () => {
    const { storage, workOrders } = await setupBounded(10)
    for (let index = 90; index < 100; index++) {
      await workOrders.update(`wo-${index}`, { priority: 1 })
    }
    expect(storage.documentLoads).toBe(0)
  })

  it('lets go of documents beyond the bound', async () => {
    const { storage, workOrders } = await setupBounded(10)
    for (let index = 0; index < 100; index++) {
      await workOrders.update(`wo-${index}`, { priority: 1 })
    }
    expect(storage.documentLoads).toBe(100)
  })

  it('keeps no more than the bound loaded', async () => {
    const { storage, workOrders } = await setupBounded(10)
    for (let index = 89; index < 100; index++) {
      await workOrders.update(`wo-${index}`, { priority: 1 })
    }
    // wo-89 had been let go; loading it again pushes out wo-90, and so on down the line.
    expect(storage.documentLoads).toBe(11)
  })

  it('keeps every document loaded within a larger bound', async () => {
    const { storage, workOrders } = await setupBounded(500)
    for (let index = 0; index < 100; index++) {
      await workOrders.update(`wo-${index}`, { priority: 1 })
    }
    expect(storage.documentLoads).toBe(0)
  })

  it('keeps every row correct while documents come and go', async () => {
    const { db, storage, workOrders } = await setupBounded(10)
    for (let index = 0; index < 100; index++) {
      await workOrders.update(`wo-${index}`, { priority: index % 5 })
      await workOrders.increment(`wo-${index}`, 'partsUsed', index)
    }
    await db.close()
    const reopened = await openDatabase({ schema, storage, user: 'alice', maxLoadedDocuments: 10 })
    const rows = reopened.table('workOrders').query({ orderBy: 'partsUsed' })
    expect(rows.map((row) => [row.priority, row.partsUsed])).toEqual(
      Array.from({ length: 100 }, (_, index) => [index % 5, index]),
    )
  })
})

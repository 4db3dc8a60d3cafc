import { rowDocumentId, toRowId } from '@rowsync/schema'
import { expect, it } from 'vitest'
import { MemoryStorageAdapter } from '../../src/storage/MemoryStorageAdapter.ts'
import { openTestDatabase, schema } from '../fixtures.ts'

const documentId = rowDocumentId(schema.database, 'workOrders', toRowId('wo-1'))
const journalKey = ['journal', 'crashed-writer', '000000000000']
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))

async function storedRow() {
  const storage = new MemoryStorageAdapter()
  const { db, workOrders } = await openTestDatabase({ storage })
  await workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
  await db.close()
  return storage
}

it('rebuilds a projection that a journal names from its document', async () => {
  const storage = await storedRow()
  // A crash after the document chunk but before its projection: the projection is stale.
  const stale = JSON.parse(
    new TextDecoder().decode(await storage.load(['row', documentId])),
  ) as Record<string, unknown>
  await storage.save(['row', documentId], encode({ ...stale, values: { title: 'Stale' } }))
  await storage.save(journalKey, encode([documentId]))

  const { workOrders } = await openTestDatabase({ storage })
  expect(workOrders.get('wo-1')?.title).toBe('Fix pump')
  expect(await storage.load(journalKey)).toBeUndefined()
})

// A journal was removed even when its document could not be loaded, so the stale projection
// was trusted on every later open.
it('hides a row whose document cannot be loaded and keeps the journal for the next open', async () => {
  const storage = await storedRow()
  await storage.save(['doc', documentId, 'incremental', 'torn'], new Uint8Array([0x85, 0x6f, 1]))
  await storage.save(journalKey, encode([documentId]))

  const { workOrders } = await openTestDatabase({ storage })
  expect(workOrders.get('wo-1')).toBeUndefined()
  expect(await storage.load(journalKey)).toBeDefined()
})

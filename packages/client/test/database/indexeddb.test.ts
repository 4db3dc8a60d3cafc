import 'fake-indexeddb/auto'
import { IndexedDBStorageAdapter } from '@automerge/automerge-repo-storage-indexeddb'
import { expect, it } from 'vitest'
import { openDatabase } from '../../src/Database.ts'
import { schema } from '../fixtures.ts'

// The browser path on IndexedDB (fake-indexeddb here; real Chromium comes with the browser work).
it('keeps rows, history and the device id across reopening on IndexedDB', async () => {
  const name = `rowsync-db-${crypto.randomUUID()}`
  const first = await openDatabase({
    schema,
    storage: new IndexedDBStorageAdapter(name),
    user: 'ann',
  })
  await first
    .table('workOrders')
    .insert({ title: 'Fix pump', notes: 'bring gauge' }, { id: 'wo-1' })
  await first.table('workOrders').update('wo-1', { status: 'done' })
  await first.close()

  const reopened = await openDatabase({
    schema,
    storage: new IndexedDBStorageAdapter(name),
    user: 'ann',
  })
  expect(reopened.device).toBe(first.device)
  expect(reopened.table('workOrders').get('wo-1')).toMatchObject({
    title: 'Fix pump',
    status: 'done',
    notes: 'bring gauge',
  })
  expect((await reopened.history('workOrders', 'wo-1')).map((event) => event.kind)).toEqual([
    'insert',
    'update',
  ])
  await reopened.close()
})

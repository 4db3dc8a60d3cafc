import * as Automerge from '@automerge/automerge'
import { rowDocumentId, toRowId } from '@rowsync/schema'
import { describe, expect, it } from 'vitest'
import { openTestDatabase, schema } from '../fixtures.ts'

// The document-level surface the sync engine uses: the outbox of local changes, uploads of
// changes since what the relay has, acknowledgements, adopted downloads and removals.

function documentIdOf(id: string): string {
  return rowDocumentId(schema.database, 'workOrders', toRowId(id))
}

describe('the outbox', () => {
  it('holds rows with local changes until the relay acknowledges the latest of them', async () => {
    const { db, workOrders } = await openTestDatabase()
    await workOrders.insert({ title: 'Pump' }, { id: 'wo-1' })
    const documentId = documentIdOf('wo-1')
    expect([...db.outbox.keys()]).toEqual([documentId])
    expect(db.outbox.get(documentId)?.base).toEqual([])

    const first = await db.changesSince(documentId, db.outbox.get(documentId)?.base)
    await workOrders.update('wo-1', { priority: 1 })
    // Acknowledging the upload read before the update keeps the row in the outbox.
    await db.acknowledge(documentId, first!.generation)
    expect(db.outbox.has(documentId)).toBe(true)

    const second = await db.changesSince(documentId, db.outbox.get(documentId)?.base)
    await db.acknowledge(documentId, second!.generation)
    expect(db.outbox.size).toBe(0)
  })

  it('sends only the changes after the base the relay has', async () => {
    const { db, workOrders } = await openTestDatabase()
    await workOrders.insert({ title: 'Pump' }, { id: 'wo-1' })
    const documentId = documentIdOf('wo-1')
    const all = await db.changesSince(documentId, undefined)
    await db.acknowledge(documentId, all!.generation)

    await workOrders.update('wo-1', { priority: 1 })
    const entry = db.outbox.get(documentId)
    expect(entry?.base).toEqual(all!.heads)
    const since = await db.changesSince(documentId, entry?.base)
    expect(since!.data.byteLength).toBeLessThan(all!.data.byteLength)

    // A peer holding the acknowledged state gets to the latest with just those changes.
    let peer = Automerge.load(all!.data)
    peer = Automerge.loadIncremental(peer, since!.data)
    expect(Automerge.getHeads(peer)).toEqual(since!.heads)
  })

  it('is not joined by changes merged from elsewhere, and survives a reopen', async () => {
    const { db, storage, workOrders } = await openTestDatabase()
    const other = await openTestDatabase({ user: 'bob' })
    await other.workOrders.insert({ title: 'From bob' }, { id: 'wo-2' })
    const documentId = documentIdOf('wo-2')
    const bytes = await other.db.exportDocument(documentId)
    expect(await db.importDocument(documentId, bytes!)).toEqual({ ok: true, changed: true })
    expect(db.outbox.size).toBe(0)

    await workOrders.insert({ title: 'Mine' }, { id: 'wo-3' })
    await db.close()
    const reopened = await openTestDatabase({ storage })
    expect([...reopened.db.outbox.keys()]).toEqual([documentIdOf('wo-3')])
    expect(reopened.db.outbox.get(documentIdOf('wo-3'))?.base).toEqual([])
  })

  it('takes in the local rows a crash may have cut from it, to be sent whole', async () => {
    const { db, storage } = await openTestDatabase()
    const other = await openTestDatabase({ user: 'bob' })
    for (const id of ['wo-4', 'wo-5']) {
      await other.workOrders.insert({ title: 'Pump' }, { id })
      const documentId = documentIdOf(id)
      await db.importDocument(documentId, (await other.db.exportDocument(documentId))!)
    }
    await db.close()
    // A crash left a batch that held a local change to wo-4 and a merge into wo-5, and named
    // a row whose chunks never reached storage.
    const journal = {
      documents: [documentIdOf('wo-4'), documentIdOf('wo-5'), documentIdOf('lost')],
      local: [documentIdOf('wo-4'), documentIdOf('lost')],
    }
    await storage.save(
      ['journal', 'crashed-writer', '000000000000'],
      new TextEncoder().encode(JSON.stringify(journal)),
    )
    const reopened = await openTestDatabase({ storage })
    expect([...reopened.db.outbox]).toEqual([
      [documentIdOf('wo-4'), { base: undefined, generation: 0 }],
    ])
    await reopened.db.close()
    const again = await openTestDatabase({ storage })
    expect([...again.db.outbox.keys()]).toEqual([documentIdOf('wo-4')])
  })
})

describe('adopted downloads', () => {
  async function downloaded() {
    const source = await openTestDatabase({ user: 'relay' })
    const row = await source.workOrders.insert(
      { title: 'From the relay', priority: 2 },
      { id: 'wo-5' },
    )
    const documentId = documentIdOf('wo-5')
    const document = (await source.db.exportDocument(documentId))!
    const projection = {
      documentId,
      table: 'workOrders',
      id: 'wo-5',
      deleted: false,
      values: Object.fromEntries(Object.entries(row).filter(([key]) => key !== 'id')),
      flagged: [],
      deleteConflict: false,
      heads: [...source.db.heads(documentId)!],
    }
    return { documentId, document, projection }
  }

  it('stores a row without loading its document, and the document is there for later writes', async () => {
    const { db, workOrders } = await openTestDatabase()
    const { documentId, document, projection } = await downloaded()
    expect(await db.adoptDocument({ documentId, seq: 1, projection, document })).toEqual({
      ok: true,
      changed: true,
    })
    expect(workOrders.get('wo-5')).toMatchObject({ title: 'From the relay', priority: 2 })
    expect(db.outbox.size).toBe(0)
    await workOrders.update('wo-5', { priority: 5 })
    expect(db.heads(documentId)).toHaveLength(1)
    expect((await db.history('workOrders', 'wo-5')).length).toBe(2)
  })

  it('refuses a projection that names another row or holds values the schema refuses', async () => {
    const { db, workOrders } = await openTestDatabase()
    const { documentId, document, projection } = await downloaded()
    const wrongRow = await db.adoptDocument({
      documentId,
      seq: 1,
      projection: { ...projection, id: 'wo-6' },
      document,
    })
    expect(wrongRow.ok || wrongRow.reason).toMatch(/names another row/)
    const badValues = await db.adoptDocument({
      documentId,
      seq: 1,
      projection: { ...projection, values: { ...projection.values, priority: 'high' } },
      document,
    })
    expect(badValues.ok || badValues.reason).toMatch(/invalid values/)
    expect(workOrders.get('wo-5')).toBeUndefined()
  })

  it('merges into a row the device already holds instead of replacing it', async () => {
    const { db, workOrders } = await openTestDatabase()
    const { documentId, document, projection } = await downloaded()
    await db.adoptDocument({ documentId, seq: 1, projection, document })
    await workOrders.update('wo-5', { title: 'Local edit' })
    const result = await db.adoptDocument({ documentId, seq: 2, projection, document })
    expect(result).toEqual({ ok: true, changed: false })
    expect(workOrders.get('wo-5')?.title).toBe('Local edit')
  })

  it('removes a row and tells subscribers', async () => {
    const { db, workOrders, storage } = await openTestDatabase()
    const { documentId, document, projection } = await downloaded()
    await db.adoptDocument({ documentId, seq: 1, projection, document })
    const seen: unknown[] = []
    workOrders.subscribe('wo-5', (row) => seen.push(row))
    await db.removeDocument(documentId)
    expect(workOrders.get('wo-5')).toBeUndefined()
    expect(seen).toEqual([undefined])
    expect(await storage.loadRange(['doc', documentId])).toEqual([])
    await db.close()
    const reopened = await openTestDatabase({ storage })
    expect(reopened.workOrders.get('wo-5')).toBeUndefined()
  })
})

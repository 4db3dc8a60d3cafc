import * as Automerge from '@automerge/automerge'
import type { RowDocument } from '@rowsync/schema'
import { afterEach, describe, expect, it } from 'vitest'
import { documentStream, projectRow, type FeedBody } from '@rowsync/schema'
import { rowEntries } from './feedRows.ts'
import { readDocumentResponse } from './readDocumentStream.ts'
import { ada, type Api, dana, nobody, rowPath, startTestRelay, tom } from '../testRelay.ts'

// GET /v1/snapshot on a real relay on loopback: the readable rows' documents, streamed with a
// header for progress and the feed position to continue from.

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** dana's rows: two customers (one deleted) and a work order for each technician. */
async function setup() {
  const relay = await startTestRelay(cleanups)
  const api = relay.as(dana)
  const writes: Array<[string, string, Record<string, string>]> = [
    ['customers', 'c-1', { name: 'Acme' }],
    ['customers', 'c-2', { name: 'Globex' }],
    ['workOrders', 'wo-tom', { title: 'Fix pump', technician: 'tom' }],
    ['workOrders', 'wo-tina', { title: 'Fix valve', technician: 'tina' }],
  ]
  for (const [table, id, values] of writes) {
    expect((await api.put(rowPath(table, id), { values })).status).toBe(201)
  }
  expect((await api.delete(rowPath('customers', 'c-2'))).status).toBe(200)
  return relay
}

async function snapshotOf(api: Api) {
  const response = await api.fetch('/v1/snapshot')
  expect(response.status).toBe(200)
  const snapshot = await readDocumentResponse(response)
  expect(snapshot.contentType).toBe(documentStream.contentType)
  const { header } = snapshot
  if (header === undefined) throw new Error('the snapshot has no header')
  return { ...snapshot, header }
}

describe('GET /v1/snapshot', () => {
  it('streams exactly the rows the user may read, each a loadable document', async () => {
    const { as } = await setup()
    const { header, records, complete } = await snapshotOf(as(tom))
    const feedBody = (await as(tom).get<FeedBody>('/v1/feed')).body
    const feed = { ...feedBody, entries: rowEntries(feedBody) }

    expect(complete).toBe(true)
    expect(header.count).toBe(records.length)
    expect(header.bytes).toBe(records.reduce((sum, record) => sum + record.document.length, 0))
    expect(header.seq).toBe(feed.last)
    // Feed order, the same rows and positions as tom's feed.
    expect(
      records.map(({ documentId, seq, projection }) => ({
        documentId,
        seq,
        deleted: projection?.deleted,
      })),
    ).toEqual(feed.entries.map(({ documentId, seq, deleted }) => ({ documentId, seq, deleted })))
    const rows = records.map((record) => {
      const doc = Automerge.load<RowDocument>(record.document)
      const row = {
        table: String(doc._table),
        id: String(doc._id),
        deleted: doc._deleted,
        heads: Automerge.getHeads(doc),
      }
      Automerge.free(doc)
      return row
    })
    expect(rows.map(({ table, id, deleted }) => [table, id, deleted])).toEqual([
      ['customers', 'c-1', false],
      ['workOrders', 'wo-tom', false],
      ['customers', 'c-2', true],
    ])
    expect(rows.map((row) => row.heads)).toEqual(feed.entries.map((entry) => entry.heads))
  })

  it("gives each row's projection, equal to the projection of the bytes sent", async () => {
    const { as, config } = await setup()
    // Edits right before the snapshot: stored chunks may lag the feed by the save delay.
    await as(dana).put(rowPath('customers', 'c-1'), { values: { name: 'Acme Corp' } })
    await as(dana).put(rowPath('workOrders', 'wo-tom'), { values: { title: 'Fix the pump' } })
    const { records } = await snapshotOf(as(tom))
    expect(records).toHaveLength(3)
    for (const record of records) {
      const doc = Automerge.load<RowDocument>(record.document)
      const projected = projectRow(config.schema, record.documentId, doc)
      Automerge.free(doc)
      expect(projected).toEqual({ ok: true, projection: record.projection })
    }
    expect(records[1]?.projection).toMatchObject({
      table: 'customers',
      id: 'c-1',
      values: { name: 'Acme Corp' },
      flagged: [],
      deleteConflict: false,
    })
  })

  it('gives every row to a user who may read everything', async () => {
    const { as } = await setup()
    const { header, records } = await snapshotOf(as(ada))
    expect(header.count).toBe(4)
    expect(records).toHaveLength(4)
  })

  it('gives an empty snapshot to a user who may read nothing', async () => {
    const { as } = await setup()
    const { header, records, complete } = await snapshotOf(as(nobody))
    expect({ count: header.count, bytes: header.bytes, complete }).toEqual({
      count: 0,
      bytes: 0,
      complete: true,
    })
    expect(records).toEqual([])
  })

  it('tells where to continue in the feed', async () => {
    const { as } = await setup()
    const { header } = await snapshotOf(as(tom))
    await as(dana).put(rowPath('customers', 'c-1'), { values: { name: 'Acme Corp' } })
    const { body } = await as(tom).get<FeedBody>(`/v1/feed?since=${header.seq}`)
    expect(rowEntries(body).map((entry) => entry.id)).toEqual(['c-1'])
  })

  it('needs a token', async () => {
    const { relay } = await startTestRelay(cleanups)
    expect((await fetch(`${relay.url}/v1/snapshot`)).status).toBe(401)
  })
})

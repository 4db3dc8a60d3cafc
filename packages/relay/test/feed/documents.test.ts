import * as Automerge from '@automerge/automerge'
import { documentStream, relayLimits, type FeedBody, type RowDocument } from '@rowsync/schema'
import { afterEach, describe, expect, it } from 'vitest'
import { type Api, dana, documentIdOf, rowPath, startTestRelay, tom } from '../testRelay.ts'
import { readDocumentResponse } from './readDocumentStream.ts'

// POST /v1/documents on a real relay on loopback: the named rows the user may read, as a
// document stream with projections; nothing about the others.

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function setup() {
  const relay = await startTestRelay(cleanups)
  await relay.as(dana).put(rowPath('customers', 'c-1'), { values: { name: 'Acme' } })
  for (const [id, technician] of [
    ['wo-tom', 'tom'],
    ['wo-tina', 'tina'],
  ] as const) {
    await relay.as(dana).put(rowPath('workOrders', id), { values: { title: id, technician } })
  }
  return relay
}

function postDocuments(api: Api, body: unknown) {
  return api.request('/v1/documents', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
}

describe('POST /v1/documents', () => {
  it('streams the named rows the user may read, leaving out the rest', async () => {
    const { as } = await setup()
    const ids = [
      documentIdOf('workOrders', 'wo-tom'),
      documentIdOf('workOrders', 'wo-tina'),
      documentIdOf('customers', 'unknown'),
      documentIdOf('customers', 'c-1'),
      'not a document id',
    ]
    const response = await postDocuments(as(tom), { ids })
    expect(response.status).toBe(200)
    const { contentType, header, records, complete } = await readDocumentResponse(response)
    const feed = (await as(tom).get<FeedBody>('/v1/feed')).body
    expect(contentType).toBe(documentStream.contentType)
    expect(complete).toBe(true)
    expect(header).toEqual({
      seq: feed.last,
      count: 2,
      bytes: records.reduce((sum, record) => sum + record.document.byteLength, 0),
      tables: { workOrders: 1, customers: 1 },
    })
    expect(records.map((record) => [record.documentId, record.seq])).toEqual([
      [documentIdOf('workOrders', 'wo-tom'), 2],
      [documentIdOf('customers', 'c-1'), 1],
    ])
    const [first] = records
    const doc = Automerge.load<RowDocument>(first!.document)
    expect(first?.projection).toMatchObject({
      table: 'workOrders',
      id: 'wo-tom',
      heads: Automerge.getHeads(doc),
      values: { title: 'wo-tom', technician: 'tom' },
    })
    Automerge.free(doc)
  })

  it('refuses more ids than the limit', async () => {
    const { as } = await setup()
    const ids = Array.from({ length: relayLimits.documentsPerRequest + 1 }, (_, index) =>
      documentIdOf('customers', `c-${index}`),
    )
    const response = await postDocuments(as(dana), { ids })
    expect(response.status).toBe(400)
    expect(((await response.json()) as { error: string }).error).toBe(
      'at most 1000 ids per request, got 1001',
    )
  })

  it('refuses a body without a list of ids', async () => {
    const { as } = await setup()
    for (const body of [{}, { ids: 'x' }, { ids: [1] }]) {
      const response = await postDocuments(as(dana), body)
      expect(response.status).toBe(400)
      expect(((await response.json()) as { error: string }).error).toMatch(/"ids"/)
    }
  })
})

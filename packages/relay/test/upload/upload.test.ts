import * as Automerge from '@automerge/automerge'
import {
  changeOptions,
  documentStream,
  relayLimits,
  type FeedBody,
  type RowDocument,
} from '@rowsync/schema'
import { afterEach, describe, expect, it } from 'vitest'
import type { RowBody } from '../../src/http/rows/rowBody.ts'
import {
  ada,
  dana,
  documentIdOf,
  rowDocument,
  rowPath,
  startTestRelay,
  tina,
  tom,
} from '../testRelay.ts'
import { postUpload, uploadDocuments } from './uploadDocuments.ts'

// POST /v1/upload on a real relay on loopback: each record checked and applied on its own,
// answered once stored; bad bodies refused whole with nothing stored.

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function setup() {
  return startTestRelay(cleanups)
}

const edit = (doc: Automerge.Doc<RowDocument>, write: (draft: RowDocument) => void) =>
  Automerge.change(
    doc,
    changeOptions({ user: 'tom', device: 'd', time: Date.now(), kind: 'update' }),
    write,
  )

describe('POST /v1/upload', () => {
  it('stores new rows and answers with their heads once the feed has them', async () => {
    const { as } = await setup()
    const docs = [
      rowDocument('customers', 'c-1', { name: 'Acme' }),
      rowDocument('customers', 'c-2', { name: 'Globex' }),
    ]
    const { status, body } = await uploadDocuments(as(dana), docs)
    expect(status).toBe(200)
    expect(body.results).toEqual(
      docs.map((doc) => ({
        documentId: documentIdOf('customers', String(doc._id)),
        ok: true,
        heads: Automerge.getHeads(doc),
      })),
    )
    const feed = (await as(tom).get<FeedBody>('/v1/feed')).body
    expect(feed.entries.map((entry) => ('id' in entry ? entry.id : undefined))).toEqual([
      'c-1',
      'c-2',
    ])
  })

  it('applies changes to a row the relay holds', async () => {
    const { as } = await setup()
    const doc = rowDocument('customers', 'c-1', { name: 'Acme' })
    await uploadDocuments(as(dana), [doc])
    const edited = edit(doc, (draft) => {
      draft.name = 'Acme Corp'
    })
    const record = {
      documentId: documentIdOf('customers', 'c-1'),
      seq: 0,
      document: Automerge.saveSince(edited, Automerge.getHeads(doc)),
    }
    const { body } = await postUpload(as(dana), documentStream.encode([record]))
    expect(body.results).toEqual([
      { documentId: record.documentId, ok: true, heads: Automerge.getHeads(edited) },
    ])
    const row = await as(dana).get<RowBody>(rowPath('customers', 'c-1'))
    expect(row.body.values).toMatchObject({ name: 'Acme Corp' })
  })

  it('refuses the records of a reader, and stores nothing', async () => {
    const { as } = await setup()
    const { status, body } = await uploadDocuments(as(ada), [
      rowDocument('customers', 'c-1', { name: 'Acme' }),
    ])
    expect(status).toBe(200)
    expect(body.results).toEqual([
      {
        documentId: documentIdOf('customers', 'c-1'),
        ok: false,
        reason: expect.stringMatching(/ada may not write/) as unknown,
      },
    ])
    expect((await as(dana).get<FeedBody>('/v1/feed')).body.last).toBe(0)
  })

  it('refuses a change that breaks the schema, and applies the other records', async () => {
    const { as } = await setup()
    const invalid = edit(rowDocument('customers', 'c-1', { name: 'Acme' }), (draft) => {
      ;(draft as unknown as Record<string, unknown>).name = 42
    })
    const valid = rowDocument('customers', 'c-2', { name: 'Globex' })
    const { body } = await uploadDocuments(as(dana), [invalid, valid])
    expect(body.results.map((result) => result.ok)).toEqual([false, true])
    expect(body.results[0]).toMatchObject({ ok: false })
    expect(body.results[0]?.ok === false && body.results[0].reason).toMatch(/invalid row/)
    expect((await as(dana).get(rowPath('customers', 'c-1'))).status).toBe(404)
    expect((await as(dana).get(rowPath('customers', 'c-2'))).status).toBe(200)
  })

  it("refuses changes to someone else's row", async () => {
    const { as } = await setup()
    const doc = rowDocument('workOrders', 'wo-1', { title: 'Fix valve', technician: 'tina' })
    await uploadDocuments(as(dana), [doc])
    const taken = edit(doc, (draft) => {
      draft.title = 'Mine now'
    })
    const { body } = await uploadDocuments(as(tom), [taken])
    const [result] = body.results
    expect(result?.ok === false && result.reason).toMatch(/tom may not change/)
    const row = await as(tina).get<RowBody>(rowPath('workOrders', 'wo-1'))
    expect(row.body.values).toMatchObject({ title: 'Fix valve' })
  })

  it('refuses a record that is not a row document id', async () => {
    const { as } = await setup()
    const record = { documentId: 'not-a-document', seq: 0, document: Uint8Array.of(1, 2, 3) }
    const { body } = await postUpload(as(dana), documentStream.encode([record]))
    expect(body.results).toEqual([
      { documentId: 'not-a-document', ok: false, reason: 'not a row document id' },
    ])
  })

  it('refuses bytes that are not a document stream, and stores nothing', async () => {
    const { as } = await setup()
    const good = documentStream.encode([
      {
        documentId: documentIdOf('customers', 'c-1'),
        seq: 0,
        document: Automerge.save(rowDocument('customers', 'c-1', { name: 'Acme' })),
      },
    ])
    for (const bytes of [Uint8Array.of(1, 2, 3, 4), good.subarray(0, good.length - 1)]) {
      const { status, body } = await postUpload(as(dana), bytes)
      expect(status).toBe(400)
      expect(body.error).toMatch(/not a valid document stream/)
    }
    expect((await as(dana).get<FeedBody>('/v1/feed')).body.last).toBe(0)
  })

  it('refuses more records than the limit, by the header', async () => {
    const { as } = await setup()
    const header = documentStream.header({
      seq: 0,
      count: relayLimits.uploadRecordsPerRequest + 1,
      bytes: 0,
      tables: {},
    })
    const { status, body } = await postUpload(as(dana), header)
    expect(status).toBe(413)
    expect(body.error).toMatch(/over the limit of 2000/)
  })

  it('refuses a body over the byte limit', async () => {
    const { as } = await setup()
    const { status, body } = await postUpload(
      as(dana),
      new Uint8Array(relayLimits.uploadBytesPerRequest + 1),
    )
    expect(status).toBe(413)
    expect(body.error).toMatch(/over the limit of 16777216 bytes/)
  })

  it('refuses another content type', async () => {
    const { as } = await setup()
    const { status, body } = await postUpload(as(dana), Uint8Array.of(0), 'text/plain')
    expect(status).toBe(415)
    expect(body.error).toMatch(/must be a document stream/)
  })
})

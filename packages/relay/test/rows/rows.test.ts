import * as Automerge from '@automerge/automerge'
import type { AutomergeUrl, DocHandle } from '@automerge/automerge-repo'
import { readChangeMetadata, type RowDocument } from '@rowsync/schema'
import { afterEach, describe, expect, it } from 'vitest'
import type { FeedBody } from '@rowsync/schema'
import type { RowListBody } from '../../src/http/rows/createRowsRouter.ts'
import type { RowBody } from '../../src/http/rows/rowBody.ts'
import {
  ada,
  dana,
  documentIdOf,
  nobody,
  rowDocument,
  rowPath,
  startTestRelay,
  tina,
  tom,
} from '../testRelay.ts'
import { rowEntries } from '../feed/feedRows.ts'

// The rows API for integrations on a real relay on loopback: reads and writes authorized like
// sync, validated like every write, and carried through the repo to connected peers.

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function setup() {
  return startTestRelay(cleanups)
}

/** Resolves once the handle's document satisfies `done`. */
function until(handle: DocHandle<RowDocument>, done: (doc: RowDocument) => boolean) {
  return new Promise<void>((resolve) => {
    if (done(handle.doc())) return resolve()
    const check = () => {
      if (!done(handle.doc())) return
      handle.off('change', check)
      resolve()
    }
    handle.on('change', check)
  })
}

describe('PUT /v1/tables/:table/rows/:id', () => {
  it('creates a row with the table defaults and answers 201 with the row', async () => {
    const { as } = await setup()
    const { status, body } = await as(dana).put<RowBody>(rowPath('workOrders', 'wo-1'), {
      values: { title: 'Fix pump', technician: 'tom' },
    })
    expect(status).toBe(201)
    expect(body).toMatchObject({
      table: 'workOrders',
      id: 'wo-1',
      documentId: documentIdOf('workOrders', 'wo-1'),
      url: `automerge:${documentIdOf('workOrders', 'wo-1')}`,
      deleted: false,
      values: { title: 'Fix pump', technician: 'tom', status: 'open', priority: 3 },
      conflicts: [],
    })
    expect(body.heads).toHaveLength(1)
  })

  it('updates only the given fields and answers 200', async () => {
    const { as } = await setup()
    await as(dana).put(rowPath('workOrders', 'wo-1'), {
      values: { title: 'Fix pump', technician: 'tom', priority: 1 },
    })
    const { status, body } = await as(tom).put<RowBody>(rowPath('workOrders', 'wo-1'), {
      values: { status: 'in-progress' },
    })
    expect(status).toBe(200)
    expect(body.values).toMatchObject({ title: 'Fix pump', priority: 1, status: 'in-progress' })
  })

  it('answers 400 with every issue of the values', async () => {
    const { as } = await setup()
    const { status, body } = await as(dana).put(rowPath('workOrders', 'wo-1'), {
      values: { priority: 'high', colour: 'red' },
    })
    expect(status).toBe(400)
    expect(body.issues?.map((issue) => issue.field).sort()).toEqual(['colour', 'priority', 'title'])
  })

  it('answers 400 for an update that breaks the schema, and changes nothing', async () => {
    const { as } = await setup()
    await as(dana).put(rowPath('customers', 'c-1'), { values: { name: 'Acme' } })
    const { status, body } = await as(dana).put(rowPath('customers', 'c-1'), {
      values: { name: null },
    })
    expect(status).toBe(400)
    expect(body.issues).toEqual([
      { field: 'name', expected: 'a value (the field is required)', got: 'null' },
    ])
    const row = await as(dana).get<RowBody>(rowPath('customers', 'c-1'))
    expect(row.body.values.name).toBe('Acme')
  })

  it('answers 400 without values or with an invalid row id', async () => {
    const { as } = await setup()
    expect((await as(dana).put(rowPath('customers', 'c-1'), { name: 'Acme' })).status).toBe(400)
    expect((await as(dana).put(rowPath('customers', 'bad%20id'), { values: {} })).status).toBe(400)
  })

  it('answers 403 to a user who may not create the row', async () => {
    const { as } = await setup()
    const values = { title: 'Not mine', technician: 'tina' }
    expect((await as(tom).put(rowPath('workOrders', 'wo-1'), { values })).status).toBe(403)
    expect((await as(ada).put(rowPath('customers', 'c-1'), { values: { name: 'A' } })).status).toBe(
      403,
    )
    expect((await as(dana).get(rowPath('workOrders', 'wo-1'))).status).toBe(404)
  })

  it('answers 403 to a user who may not write the row as it is', async () => {
    const { as } = await setup()
    await as(dana).put(rowPath('workOrders', 'wo-1'), {
      values: { title: 'Fix valve', technician: 'tina' },
    })
    const { status } = await as(tom).put(rowPath('workOrders', 'wo-1'), {
      values: { technician: 'tom' },
    })
    expect(status).toBe(403)
  })

  it('answers 403 to a user who would move the row out of their scope', async () => {
    const { as } = await setup()
    await as(dana).put(rowPath('workOrders', 'wo-1'), {
      values: { title: 'Fix pump', technician: 'tom' },
    })
    const { status } = await as(tom).put(rowPath('workOrders', 'wo-1'), {
      values: { technician: 'tina' },
    })
    expect(status).toBe(403)
    const row = await as(dana).get<RowBody>(rowPath('workOrders', 'wo-1'))
    expect(row.body.values.technician).toBe('tom')
  })

  it('answers 404 for an unknown table', async () => {
    const { as } = await setup()
    const { status } = await as(dana).put(rowPath('invoices', 'i-1'), { values: {} })
    expect(status).toBe(404)
  })

  it('reaches a connected stock automerge-repo client, with the writer in the metadata', async () => {
    const { as, connect } = await setup()
    const created = await as(dana).put<RowBody>(rowPath('customers', 'c-1'), {
      values: { name: 'Acme' },
    })
    const client = await connect(tom)
    const handle = await client.find<RowDocument>(created.body.url as AutomergeUrl)
    expect(String(handle.doc().name)).toBe('Acme')

    const changed = until(handle, (doc) => String(doc.name) === 'Acme Corp')
    const updated = await as(dana).put<RowBody>(rowPath('customers', 'c-1'), {
      values: { name: 'Acme Corp' },
    })
    expect(updated.status).toBe(200)
    await changed
    expect(Automerge.getHeads(handle.doc())).toEqual(updated.body.heads)
    const latest = Automerge.getHistory(handle.doc()).at(-1)?.change
    expect(latest && readChangeMetadata(latest)).toMatchObject({
      user: 'dana',
      device: 'relay-http',
      kind: 'update',
    })
  })
})

describe('GET /v1/tables/:table/rows/:id', () => {
  it('answers the row with its values, heads and url', async () => {
    const { as } = await setup()
    const created = await as(dana).put<RowBody>(rowPath('customers', 'c-1'), {
      values: { name: 'Acme' },
    })
    const { status, body } = await as(tom).get<RowBody>(rowPath('customers', 'c-1'))
    expect(status).toBe(200)
    expect(body).toEqual(created.body)
  })

  it('shows flagged conflicts with every concurrent value and its writer', async () => {
    const { as, connect, logged } = await setup()
    const base = rowDocument('workOrders', 'wo-1', { title: 'Fix pump' })
    const left = Automerge.change(
      Automerge.clone(base, { actor: 'aa'.repeat(16) }),
      { message: JSON.stringify({ u: 'tom', d: 'phone', t: 1000, k: 'update' }), time: 1 },
      (doc) => {
        doc.status = new Automerge.ImmutableString('scheduled')
      },
    )
    const right = Automerge.change(
      Automerge.clone(base, { actor: 'bb'.repeat(16) }),
      { message: JSON.stringify({ u: 'dana', d: 'desk', t: 2000, k: 'update' }), time: 2 },
      (doc) => {
        doc.status = new Automerge.ImmutableString('done')
      },
    )
    const merged = Automerge.merge(left, right)
    const client = await connect(dana)
    const appended = logged('Appended feed entries')
    client.import(Automerge.save(merged), { docId: documentIdOf('workOrders', 'wo-1') })
    await appended

    const { status, body } = await as(ada).get<RowBody>(rowPath('workOrders', 'wo-1'))
    expect(status).toBe(200)
    expect(body.conflicts).toEqual([
      {
        kind: 'field',
        table: 'workOrders',
        id: 'wo-1',
        field: 'status',
        values: expect.arrayContaining([
          expect.objectContaining({ value: 'scheduled', user: 'tom', device: 'phone' }),
          expect.objectContaining({ value: 'done', user: 'dana', device: 'desk' }),
        ]) as unknown,
      },
    ])
  })

  it('answers 404 for an unknown table, row or row id', async () => {
    const { as } = await setup()
    expect((await as(dana).get(rowPath('invoices', 'i-1'))).status).toBe(404)
    expect((await as(dana).get(rowPath('customers', 'c-404'))).status).toBe(404)
    expect((await as(dana).get(rowPath('customers', 'bad%20id'))).status).toBe(404)
  })

  it('answers 403 for a row the user may not read', async () => {
    const { as } = await setup()
    await as(dana).put(rowPath('workOrders', 'wo-1'), {
      values: { title: 'Fix valve', technician: 'tina' },
    })
    expect((await as(tina).get(rowPath('workOrders', 'wo-1'))).status).toBe(200)
    expect((await as(tom).get(rowPath('workOrders', 'wo-1'))).status).toBe(403)
  })

  it('answers 403 for a table the user has no grant on', async () => {
    const { as } = await setup()
    await as(dana).put(rowPath('customers', 'c-1'), { values: { name: 'Acme' } })
    expect((await as(nobody).get(rowPath('customers', 'c-1'))).status).toBe(403)
    expect((await as(nobody).get('/v1/tables/customers/rows')).status).toBe(403)
  })

  it('needs a token', async () => {
    const { relay } = await setup()
    expect((await fetch(`${relay.url}${rowPath('customers', 'c-1')}`)).status).toBe(401)
  })
})

describe('DELETE /v1/tables/:table/rows/:id', () => {
  it('makes the row a tombstone, seen by GET and the feed', async () => {
    const { as } = await setup()
    await as(dana).put(rowPath('customers', 'c-1'), { values: { name: 'Acme' } })
    const { status, body } = await as(dana).delete<RowBody>(rowPath('customers', 'c-1'))
    expect(status).toBe(200)
    expect(body).toMatchObject({ deleted: true, values: { name: 'Acme' } })
    expect((await as(ada).get<RowBody>(rowPath('customers', 'c-1'))).body.deleted).toBe(true)
    const feed = await as(ada).get<FeedBody>('/v1/feed')
    expect(rowEntries(feed.body).map((entry) => [entry.id, entry.deleted])).toEqual([['c-1', true]])
  })

  it('brings a deleted row back on PUT', async () => {
    const { as } = await setup()
    await as(dana).put(rowPath('customers', 'c-1'), { values: { name: 'Acme' } })
    await as(dana).delete(rowPath('customers', 'c-1'))
    const { status, body } = await as(dana).put<RowBody>(rowPath('customers', 'c-1'), {
      values: { phone: '555' },
    })
    expect(status).toBe(200)
    expect(body).toMatchObject({ deleted: false, values: { name: 'Acme', phone: '555' } })
  })

  it('answers 404 for an unknown table or row, 403 without write permission', async () => {
    const { as } = await setup()
    await as(dana).put(rowPath('customers', 'c-1'), { values: { name: 'Acme' } })
    expect((await as(dana).delete(rowPath('invoices', 'i-1'))).status).toBe(404)
    expect((await as(dana).delete(rowPath('customers', 'c-404'))).status).toBe(404)
    expect((await as(tom).delete(rowPath('customers', 'c-1'))).status).toBe(403)
    expect((await as(ada).get<RowBody>(rowPath('customers', 'c-1'))).body.deleted).toBe(false)
  })
})

describe('GET /v1/tables/:table/rows', () => {
  it('pages through the readable rows of the table that are not deleted', async () => {
    const { as } = await setup()
    const dispatcher = as(dana)
    await dispatcher.put(rowPath('customers', 'c-1'), { values: { name: 'Acme' } })
    for (const [id, technician] of [
      ['wo-1', 'tom'],
      ['wo-2', 'tina'],
      ['wo-3', 'tom'],
      ['wo-4', 'tom'],
      ['wo-5', 'tom'],
    ]) {
      await dispatcher.put(rowPath('workOrders', id ?? ''), {
        values: { title: `Job ${id}`, technician },
      })
    }
    await dispatcher.delete(rowPath('workOrders', 'wo-4'))

    const pages: RowListBody[] = []
    let after = 0
    for (;;) {
      const { status, body } = await as(tom).get<RowListBody>(
        `/v1/tables/workOrders/rows?limit=2&after=${after}`,
      )
      expect(status).toBe(200)
      pages.push(body)
      if (body.next === null) break
      after = body.next
    }
    expect(pages.flatMap((page) => page.rows.map((row) => row.id))).toEqual([
      'wo-1',
      'wo-3',
      'wo-5',
    ])
    expect(pages[0]?.rows[0]).toMatchObject({
      table: 'workOrders',
      id: 'wo-1',
      documentId: documentIdOf('workOrders', 'wo-1'),
      url: `automerge:${documentIdOf('workOrders', 'wo-1')}`,
      values: { title: 'Job wo-1', technician: 'tom' },
      flagged: [],
    })
  })

  it('answers 400 for a bad limit or cursor, 404 for an unknown table', async () => {
    const { as } = await setup()
    expect((await as(dana).get('/v1/tables/customers/rows?limit=0')).status).toBe(400)
    expect((await as(dana).get('/v1/tables/customers/rows?after=x')).status).toBe(400)
    expect((await as(dana).get('/v1/tables/invoices/rows')).status).toBe(404)
  })
})

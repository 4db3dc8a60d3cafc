import * as Automerge from '@automerge/automerge'
import type { RowDocument } from '@rowsync/schema'
import { afterEach, describe, expect, it } from 'vitest'
import type { FeedBody } from '@rowsync/schema'
import type { RowBody } from '../../src/http/rows/rowBody.ts'
import { RelayStorageAdapter } from '../../src/storage/RelayStorageAdapter.ts'
import {
  type Api,
  dana,
  documentIdOf,
  nobody,
  rowDocument,
  rowPath,
  startTestRelay,
  tina,
  tom,
  type TestUser,
} from '../testRelay.ts'
import { rowEntries } from './feedRows.ts'

// GET /v1/feed on a real relay on loopback: one entry per row in sequence order, paged,
// filtered by read permission, and numbered by a sequence that survives restarts.

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function setup(dataDirectory?: string) {
  return startTestRelay(cleanups, dataDirectory)
}

/** Creates or updates a customer as dana; HTTP writes answer once recorded in the feed. */
async function putCustomer(api: Api, id: string, name: string) {
  const response = await api.put<RowBody>(rowPath('customers', id), { values: { name } })
  expect(response.status).toBeLessThan(300)
  return response.body
}

describe('GET /v1/feed', () => {
  it('lists changed rows in sequence order with their document url and heads', async () => {
    const { as } = await setup()
    const api = as(dana)
    const created = [
      await putCustomer(api, 'c-1', 'Acme'),
      await putCustomer(api, 'c-2', 'Globex'),
      await putCustomer(api, 'c-3', 'Initech'),
    ]
    const { status, body } = await api.get<FeedBody>('/v1/feed')
    expect(status).toBe(200)
    expect(rowEntries(body).map((entry) => entry.id)).toEqual(['c-1', 'c-2', 'c-3'])
    expect(body.entries.map((entry) => entry.seq)).toEqual([1, 2, 3])
    expect(body.entries[0]).toEqual({
      seq: 1,
      table: 'customers',
      id: 'c-1',
      documentId: documentIdOf('customers', 'c-1'),
      url: `automerge:${documentIdOf('customers', 'c-1')}`,
      heads: created[0]?.heads,
      deleted: false,
    })
    expect(body.next).toBeNull()
    expect(body.last).toBe(3)
  })

  it('keeps one entry per row: a changed row moves to the end', async () => {
    const { as } = await setup()
    const api = as(dana)
    await putCustomer(api, 'c-1', 'Acme')
    await putCustomer(api, 'c-2', 'Globex')
    const changed = await putCustomer(api, 'c-1', 'Acme Corp')
    const { body } = await api.get<FeedBody>('/v1/feed')
    expect(rowEntries(body).map((entry) => [entry.id, entry.seq])).toEqual([
      ['c-2', 2],
      ['c-1', 3],
    ])
    expect(rowEntries(body)[1]?.heads).toEqual(changed.heads)
  })

  it('records nothing for a write that changes nothing', async () => {
    const { as } = await setup()
    const api = as(dana)
    await putCustomer(api, 'c-1', 'Acme')
    await putCustomer(api, 'c-1', 'Acme')
    expect((await api.get<FeedBody>('/v1/feed')).body.last).toBe(1)
  })

  it('pages with limit, and next leads to the following page', async () => {
    const { as } = await setup()
    const api = as(dana)
    for (const id of ['c-1', 'c-2', 'c-3', 'c-4', 'c-5']) await putCustomer(api, id, id)
    const pages: FeedBody[] = []
    let since = 0
    for (;;) {
      const { body } = await api.get<FeedBody>(`/v1/feed?since=${since}&limit=2`)
      pages.push(body)
      if (body.next === null) break
      since = body.next
    }
    expect(pages.map((page) => rowEntries(page).map((entry) => entry.id))).toEqual([
      ['c-1', 'c-2'],
      ['c-3', 'c-4'],
      ['c-5'],
    ])
    expect(pages.map((page) => page.next)).toEqual([2, 4, null])
  })

  it('returns nothing since last', async () => {
    const { as } = await setup()
    const api = as(dana)
    await putCustomer(api, 'c-1', 'Acme')
    const { body: first } = await api.get<FeedBody>('/v1/feed')
    const { status, body } = await api.get<FeedBody>(`/v1/feed?since=${first.last}`)
    expect(status).toBe(200)
    expect(body).toEqual({ entries: [], next: null, last: first.last })
  })

  it('returns only the changes after since', async () => {
    const { as } = await setup()
    const api = as(dana)
    await putCustomer(api, 'c-1', 'Acme')
    const { body: first } = await api.get<FeedBody>('/v1/feed')
    await putCustomer(api, 'c-2', 'Globex')
    const { body } = await api.get<FeedBody>(`/v1/feed?since=${first.last}`)
    expect(rowEntries(body).map((entry) => entry.id)).toEqual(['c-2'])
  })

  it('lists the rows the user may not read as left entries, with nothing but the id', async () => {
    const { as } = await setup()
    const api = as(dana)
    await putCustomer(api, 'c-1', 'Acme')
    for (const [id, technician] of [
      ['wo-tom', 'tom'],
      ['wo-tina', 'tina'],
    ] as const) {
      const response = await api.put(rowPath('workOrders', id), {
        values: { title: `Fix ${id}`, technician },
      })
      expect(response.status).toBe(201)
    }
    const ids = async (user: TestUser) =>
      (await as(user).get<FeedBody>('/v1/feed')).body.entries.map((entry) =>
        'left' in entry ? entry : entry.id,
      )
    const left = (seq: number, table: string, id: string) => ({
      seq,
      documentId: documentIdOf(table, id),
      left: true,
    })
    expect(await ids(tom)).toEqual(['c-1', 'wo-tom', left(3, 'workOrders', 'wo-tina')])
    expect(await ids(tina)).toEqual(['c-1', left(2, 'workOrders', 'wo-tom'), 'wo-tina'])
    expect(await ids(dana)).toEqual(['c-1', 'wo-tom', 'wo-tina'])
    expect(await ids(nobody)).toEqual([
      left(1, 'customers', 'c-1'),
      left(2, 'workOrders', 'wo-tom'),
      left(3, 'workOrders', 'wo-tina'),
    ])
  })

  it("tells a user that a row left the user's scope", async () => {
    const { as } = await setup()
    await as(dana).put(rowPath('workOrders', 'wo-1'), {
      values: { title: 'Fix pump', technician: 'tom' },
    })
    const { body: before } = await as(tom).get<FeedBody>('/v1/feed')
    expect(rowEntries(before).map((entry) => entry.id)).toEqual(['wo-1'])
    await as(dana).put(rowPath('workOrders', 'wo-1'), { values: { technician: 'tina' } })
    const { body } = await as(tom).get<FeedBody>(`/v1/feed?since=${before.last}`)
    expect(body).toEqual({
      entries: [{ seq: 2, documentId: documentIdOf('workOrders', 'wo-1'), left: true }],
      next: null,
      last: 2,
    })
  })

  it('pages left entries like row entries', async () => {
    const { as } = await setup()
    for (const id of ['wo-1', 'wo-2', 'wo-3']) {
      await as(dana).put(rowPath('workOrders', id), { values: { title: id, technician: 'tina' } })
    }
    const { body } = await as(tom).get<FeedBody>('/v1/feed?limit=2')
    expect(body.entries.map((entry) => entry.seq)).toEqual([1, 2])
    expect(body.entries.every((entry) => 'left' in entry)).toBe(true)
    expect(body.next).toBe(2)
  })

  it('shows a deleted row as deleted', async () => {
    const { as } = await setup()
    const api = as(dana)
    await putCustomer(api, 'c-1', 'Acme')
    expect((await api.delete(rowPath('customers', 'c-1'))).status).toBe(200)
    const { body } = await api.get<FeedBody>('/v1/feed')
    expect(rowEntries(body).map((entry) => [entry.id, entry.seq, entry.deleted])).toEqual([
      ['c-1', 2, true],
    ])
  })

  it('refuses a since or limit that is not a whole number in range', async () => {
    const { as } = await setup()
    const api = as(dana)
    for (const query of ['since=-1', 'since=abc', 'limit=0', 'limit=5001', 'since=1.5']) {
      const response = await api.get(`/v1/feed?${query}`)
      expect(response.status, query).toBe(400)
      expect(response.body.error).toMatch(/must be a whole number/)
    }
  })

  it('needs a token', async () => {
    const { relay } = await setup()
    expect((await fetch(`${relay.url}/v1/feed`)).status).toBe(401)
  })

  it('keeps its sequence across a restart', async () => {
    const first = await setup()
    await putCustomer(first.as(dana), 'c-1', 'Acme')
    await putCustomer(first.as(dana), 'c-2', 'Globex')
    const before = (await first.as(dana).get<FeedBody>('/v1/feed')).body
    await first.relay.close()

    const second = await setup(first.directory)
    const after = (await second.as(dana).get<FeedBody>('/v1/feed')).body
    expect(after).toEqual(before)
    await putCustomer(second.as(dana), 'c-1', 'Acme Corp')
    const { body } = await second.as(dana).get<FeedBody>(`/v1/feed?since=${before.last}`)
    expect(rowEntries(body).map((entry) => [entry.id, entry.seq])).toEqual([['c-1', 3]])
  })

  it('records rows stored before the relay had a feed', async () => {
    const first = await setup()
    await putCustomer(first.as(dana), 'c-1', 'Acme')
    await putCustomer(first.as(dana), 'c-2', 'Globex')
    await first.relay.close()
    // A store from before the feed: the row documents without any feed record.
    const storage = await RelayStorageAdapter.open(`${first.directory}/relay`)
    await storage.removeRange(['rowsync-feed'])
    await storage.close()

    const second = await setup(first.directory)
    const { body } = await second.as(dana).get<FeedBody>('/v1/feed')
    expect(
      rowEntries(body)
        .map((entry) => entry.id)
        .sort(),
    ).toEqual(['c-1', 'c-2'])
    expect(body.last).toBe(2)
  })

  it('shows a change made by a stock automerge-repo client', async () => {
    const { as, connect, logged } = await setup()
    const client = await connect(dana)
    const doc = rowDocument('customers', 'c-1', { name: 'Acme' })
    const appended = logged('Appended feed entries')
    const handle = client.import<RowDocument>(Automerge.save(doc), {
      docId: documentIdOf('customers', 'c-1'),
    })
    await appended
    const { body } = await as(tom).get<FeedBody>('/v1/feed')
    expect(rowEntries(body)).toEqual([
      expect.objectContaining({
        table: 'customers',
        id: 'c-1',
        url: handle.url,
        heads: Automerge.getHeads(handle.doc()),
      }),
    ])
  })
})

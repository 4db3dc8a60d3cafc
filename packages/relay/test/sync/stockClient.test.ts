import * as Automerge from '@automerge/automerge'
import type { DocumentId } from '@automerge/automerge-repo'
import {
  changeOptions,
  rowDocumentId,
  rowSkeleton,
  toRowId,
  writeValues,
  type FieldValue,
  type RowDocument,
} from '@rowsync/schema'
import { WebSocket } from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import type { RelayConfig } from '../../src/config/RelayConfig.ts'
import { startTestRelay, users } from '../testRelay.ts'

// Stock automerge-repo clients (the published packages, no Rowsync client code) against a real
// relay on loopback: they sync rows they may read, get nothing else, and cannot change rows
// they may only read.

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const setup = (dataDirectory?: string) => startTestRelay(cleanups, dataDirectory)

/** Row document bytes as any Automerge writer could make them, following the row layout. */
function rowBytes(
  config: RelayConfig,
  table: string,
  id: string,
  values: Record<string, FieldValue>,
) {
  const schema = config.schema
  const tableSchema = schema.tables.get(table)!
  const rowId = toRowId(id)
  const documentId = rowDocumentId(schema.database, table, rowId)
  const metadata = { user: 'stock', device: 'stock', time: Date.now(), kind: 'insert' as const }
  const doc = Automerge.change(
    rowSkeleton(tableSchema, rowId, documentId, 'ab'.repeat(16)),
    changeOptions(metadata),
    (draft: RowDocument) => {
      draft._deleted = false
      writeValues(draft, tableSchema, values)
    },
  )
  return { documentId: documentId as unknown as DocumentId, bytes: Automerge.save(doc) }
}

describe('a stock automerge-repo client', () => {
  it('creates a row it may write and another user who may read it receives it', async () => {
    const { config, connect, logged } = await setup()
    const dana = await connect(users.dana)
    const { documentId, bytes } = rowBytes(config, 'customers', 'c-1', { name: 'Acme' })
    const accepted = logged('Accepted changes')
    dana.import<RowDocument>(bytes, { docId: documentId })
    await accepted

    const tom = await connect(users.tom)
    const found = await tom.find<RowDocument>(documentId)
    expect(String(found.doc().name)).toBe('Acme')
  })

  it('gets nothing for a row it may not read', async () => {
    const { config, connect, logged } = await setup()
    const dana = await connect(users.dana)
    const { documentId, bytes } = rowBytes(config, 'workOrders', 'wo-1', {
      title: 'Fix pump',
      technician: 'tina',
    })
    const accepted = logged('Accepted changes')
    dana.import<RowDocument>(bytes, { docId: documentId })
    await accepted

    const tom = await connect(users.tom)
    await expect(tom.find(documentId)).rejects.toThrow(/unavailable/)
  })

  it('cannot change a row it may only read', async () => {
    const { config, connect, logged } = await setup()
    const dana = await connect(users.dana)
    const { documentId, bytes } = rowBytes(config, 'customers', 'c-1', { name: 'Acme' })
    const accepted = logged('Accepted changes')
    const created = dana.import<RowDocument>(bytes, { docId: documentId })
    await accepted

    const tom = await connect(users.tom)
    const found = await tom.find<RowDocument>(documentId)
    const refused = logged('Refused a message')
    found.change((draft) => {
      draft.name = new Automerge.ImmutableString('Taken over')
    })
    await refused
    // Dana still sees the original name: the relay refused Tom's change and forwarded nothing.
    const check = await connect(users.ada)
    const seen = await check.find<RowDocument>(documentId)
    expect(String(seen.doc().name)).toBe('Acme')
    expect(String(created.doc().name)).toBe('Acme')
  })

  it('cannot connect without a token', async () => {
    const { relay } = await setup()
    const status = await new Promise<number | undefined>((resolve) => {
      const socket = new WebSocket(`${relay.url.replace('http', 'ws')}/sync`)
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode))
      socket.on('open', () => resolve(undefined))
      socket.on('error', () => undefined)
    })
    expect(status).toBe(401)
  })

  it('cannot store a change that breaks the schema', async () => {
    const { config, connect, logged } = await setup()
    const dana = await connect(users.dana)
    const { documentId, bytes } = rowBytes(config, 'workOrders', 'wo-1', { title: 'Fix pump' })
    const accepted = logged('Accepted changes')
    const created = dana.import<RowDocument>(bytes, { docId: documentId })
    await accepted
    const refused = logged('Refused a message')
    created.change((draft) => {
      draft.priority = 'urgent'
    })
    await refused
    const ada = await connect(users.ada)
    expect((await ada.find<RowDocument>(documentId)).doc().priority).toBeUndefined()
  })

  it('cannot create a work order assigned to another technician', async () => {
    const { config, connect, logged } = await setup()
    const tom = await connect(users.tom)
    const { documentId, bytes } = rowBytes(config, 'workOrders', 'wo-2', {
      title: 'Not mine',
      technician: 'tina',
    })
    const refused = logged('Refused a message')
    tom.import<RowDocument>(bytes, { docId: documentId })
    await refused
    // Ada may read every work order, so she would get it if the relay had stored it.
    const ada = await connect(users.ada)
    await expect(ada.find(documentId)).rejects.toThrow(/unavailable/)
  })

  it('still has a row after the relay restarts', async () => {
    const first = await setup()
    const dana = await first.connect(users.dana)
    const { documentId, bytes } = rowBytes(first.config, 'customers', 'c-9', { name: 'Kept' })
    const accepted = first.logged('Accepted changes')
    dana.import<RowDocument>(bytes, { docId: documentId })
    await accepted
    await first.relay.close()

    const second = await setup(first.directory)
    const ada = await second.connect(users.ada)
    expect(String((await ada.find<RowDocument>(documentId)).doc().name)).toBe('Kept')
  })
})

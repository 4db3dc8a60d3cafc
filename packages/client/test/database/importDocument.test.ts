import * as Automerge from '@automerge/automerge'
import { defineSchema, rowDocumentId, toRowId } from '@rowsync/schema'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/Database.ts'
import { MemoryStorageAdapter } from '../../src/storage/MemoryStorageAdapter.ts'
import { openTestDatabase, schema } from '../fixtures.ts'

type Fields = Record<string, unknown>

function documentIdOf(table: string, id: string, database = schema.database): string {
  return rowDocumentId(database, table, toRowId(id))
}

/** Saved bytes of a row document built with Automerge directly, as another replica could. */
function rowDocument(table: string, id: string, fields: Fields, deleted: unknown = false) {
  const doc = Automerge.change(Automerge.init<Fields>(), (draft) => {
    draft._table = new Automerge.ImmutableString(table)
    draft._id = new Automerge.ImmutableString(id)
    draft._deleted = deleted
    for (const [key, value] of Object.entries(fields)) draft[key] = value
  })
  return Automerge.save(doc)
}

/** The fields of a valid work order, stored the way Rowsync stores them. */
function workOrderFields(): Fields {
  return {
    title: new Automerge.ImmutableString('From a peer'),
    status: new Automerge.ImmutableString('open'),
    priority: 3,
    urgent: false,
    partsUsed: new Automerge.Counter(0),
  }
}

/** A device with work order wo-1, and a second device (bob) that has it too. */
async function setup() {
  const alice = await openTestDatabase({ user: 'alice' })
  const bob = await openTestDatabase({ user: 'bob' })
  await alice.workOrders.insert({ title: 'Fix pump', notes: 'hello' }, { id: 'wo-1' })
  const documentId = documentIdOf('workOrders', 'wo-1')
  const saved = await alice.db.exportDocument(documentId)
  if (!saved) throw new Error('wo-1 was not exported')
  return { alice, bob, documentId, saved }
}

/** Every stored key with its bytes, to check that a refused import stored nothing. */
async function storedEntries(storage: MemoryStorageAdapter): Promise<Map<string, Uint8Array>> {
  const chunks = await storage.loadRange([])
  return new Map(chunks.map((chunk) => [JSON.stringify(chunk.key), chunk.data ?? new Uint8Array()]))
}

/** Bytes of wo-1 as alice has them plus one change that `edit` makes. */
function withChange(saved: Uint8Array, edit: (draft: Fields) => void): Uint8Array {
  return Automerge.save(Automerge.change(Automerge.load<Fields>(saved), edit))
}

const randomBytes = Uint8Array.from({ length: 64 }, (_, index) => (index * 37 + 11) % 256)

describe('Database.importDocument: valid input', () => {
  it('adds a row from another device', async () => {
    const { bob, documentId, saved } = await setup()
    expect(await bob.db.importDocument(documentId, saved)).toEqual({ ok: true, changed: true })
    expect(bob.workOrders.get('wo-1')).toMatchObject({ title: 'Fix pump', notes: 'hello' })
  })

  it('reports no change for bytes it already has', async () => {
    const { bob, documentId, saved } = await setup()
    await bob.db.importDocument(documentId, saved)
    expect(await bob.db.importDocument(documentId, saved)).toEqual({ ok: true, changed: false })
  })

  it('accepts only the changes since known heads', async () => {
    const { alice, bob, documentId, saved } = await setup()
    await bob.db.importDocument(documentId, saved)
    const heads = alice.db.heads(documentId) ?? []
    await alice.workOrders.update('wo-1', { priority: 1 })
    const doc = Automerge.load<Fields>((await alice.db.exportDocument(documentId)) ?? saved)
    const changes = Automerge.saveSince(doc, [...heads])
    expect(await bob.db.importDocument(documentId, changes)).toEqual({ ok: true, changed: true })
    expect(bob.workOrders.get('wo-1')?.priority).toBe(1)
  })

  it('accepts a well-formed row document built without Rowsync', async () => {
    const { bob } = await setup()
    const documentId = documentIdOf('workOrders', 'wo-7')
    const bytes = rowDocument('workOrders', 'wo-7', workOrderFields())
    expect(await bob.db.importDocument(documentId, bytes)).toEqual({ ok: true, changed: true })
    expect(bob.workOrders.get('wo-7')?.title).toBe('From a peer')
  })

  it('makes the row survive reopening', async () => {
    const { bob, documentId, saved } = await setup()
    await bob.db.importDocument(documentId, saved)
    await bob.db.close()
    const reopened = await openTestDatabase({ storage: bob.storage })
    expect(reopened.workOrders.get('wo-1')?.title).toBe('Fix pump')
  })
})

describe('Database.importDocument: refused input for a new row', () => {
  it('refuses random bytes', async () => {
    const { bob, documentId } = await setup()
    const result = await bob.db.importDocument(documentId, randomBytes)
    expect(result.ok).toBe(false)
    expect(!result.ok && typeof result.reason).toBe('string')
  })

  it('refuses empty bytes', async () => {
    const { bob, documentId } = await setup()
    expect((await bob.db.importDocument(documentId, new Uint8Array())).ok).toBe(false)
  })

  it.each([[1], [10], [0.5], [-1]])('refuses the saved document cut at %d', async (at) => {
    const { bob, documentId, saved } = await setup()
    const end = Math.floor(at < 1 && at > 0 ? saved.length * at : at)
    expect((await bob.db.importDocument(documentId, saved.slice(0, end))).ok).toBe(false)
  })

  it('refuses a document of another database', async () => {
    const { bob } = await setup()
    const other = await openDatabase({
      schema: defineSchema({ ...schema.definition, database: 'other-service' }),
      storage: new MemoryStorageAdapter(),
      user: 'eve',
    })
    await other.table('workOrders').insert({ title: 'Elsewhere' }, { id: 'wo-1' })
    const documentId = documentIdOf('workOrders', 'wo-1', 'other-service')
    const bytes = await other.exportDocument(documentId)
    expect((await bob.db.importDocument(documentId, bytes ?? new Uint8Array())).ok).toBe(false)
  })

  it('refuses a document of another table under this table’s id', async () => {
    const { bob, saved } = await setup()
    const result = await bob.db.importDocument(documentIdOf('customers', 'wo-1'), saved)
    expect(result.ok).toBe(false)
  })

  it('refuses a document of another row', async () => {
    const { bob, saved } = await setup()
    expect((await bob.db.importDocument(documentIdOf('workOrders', 'wo-2'), saved)).ok).toBe(false)
  })

  it('refuses a document of a table the schema does not have', async () => {
    const { bob } = await setup()
    const bytes = rowDocument('invoices', 'wo-7', workOrderFields())
    expect((await bob.db.importDocument(documentIdOf('invoices', 'wo-7'), bytes)).ok).toBe(false)
  })

  it('refuses a document without a table', async () => {
    const { bob } = await setup()
    const bytes = Automerge.save(Automerge.from<Fields>({ title: 'x' }))
    expect((await bob.db.importDocument(documentIdOf('workOrders', 'wo-7'), bytes)).ok).toBe(false)
  })

  it('refuses a document with an invalid row id', async () => {
    const { bob } = await setup()
    const bytes = rowDocument('workOrders', 'has space', workOrderFields())
    const documentId = rowDocumentId(schema.database, 'workOrders', 'has space' as never)
    expect((await bob.db.importDocument(documentId, bytes)).ok).toBe(false)
  })

  it.each([
    ['an unknown field', { ...workOrderFields(), colour: new Automerge.ImmutableString('red') }],
    ['a wrong-typed value', { ...workOrderFields(), priority: 'high' }],
    ['a non-integer for an integer', { ...workOrderFields(), priority: 1.5 }],
    ['an unknown choice', { ...workOrderFields(), status: new Automerge.ImmutableString('lost') }],
    ['a plain number in a counter', { ...workOrderFields(), partsUsed: 4 }],
    [
      'an immutable string in a text field',
      {
        ...workOrderFields(),
        notes: new Automerge.ImmutableString('hi'),
      },
    ],
    ['a list in a field', { ...workOrderFields(), assignee: ['bob'] }],
    ['a missing required field', { ...workOrderFields(), title: null }],
    ['an invalid date', { ...workOrderFields(), due: new Automerge.ImmutableString('2023-02-30') }],
  ])('refuses a document with %s', async (_case, fields) => {
    const { bob } = await setup()
    const bytes = rowDocument('workOrders', 'wo-7', fields)
    const result = await bob.db.importDocument(documentIdOf('workOrders', 'wo-7'), bytes)
    expect(result.ok).toBe(false)
  })

  it('refuses a document whose tombstone is not a boolean', async () => {
    const { bob } = await setup()
    const bytes = rowDocument('workOrders', 'wo-7', workOrderFields(), 'yes')
    expect((await bob.db.importDocument(documentIdOf('workOrders', 'wo-7'), bytes)).ok).toBe(false)
  })

  it('stores nothing when refusing', async () => {
    const { bob } = await setup()
    const before = await storedEntries(bob.storage)
    const bytes = rowDocument('workOrders', 'wo-7', { ...workOrderFields(), colour: 1 })
    await bob.db.importDocument(documentIdOf('workOrders', 'wo-7'), bytes)
    await bob.db.importDocument(documentIdOf('workOrders', 'wo-8'), randomBytes)
    expect(await storedEntries(bob.storage)).toEqual(before)
    expect(bob.db.documentIds()).toEqual([])
  })

  it('leaves the row unknown after refusing', async () => {
    const { bob } = await setup()
    const bytes = rowDocument('workOrders', 'wo-7', { ...workOrderFields(), colour: 1 })
    await bob.db.importDocument(documentIdOf('workOrders', 'wo-7'), bytes)
    expect(bob.workOrders.get('wo-7')).toBeUndefined()
    expect(await bob.db.history('workOrders', 'wo-7')).toEqual([])
  })

  it('accepts the valid document after refusing a bad one for the same row', async () => {
    const { bob } = await setup()
    const documentId = documentIdOf('workOrders', 'wo-7')
    await bob.db.importDocument(
      documentId,
      rowDocument('workOrders', 'wo-7', { ...workOrderFields(), colour: 1 }),
    )
    const good = rowDocument('workOrders', 'wo-7', workOrderFields())
    expect(await bob.db.importDocument(documentId, good)).toEqual({ ok: true, changed: true })
  })
})

describe('Database.importDocument: refused input for a row it has', () => {
  // Refusing a merge into a loaded document freed its Automerge handle twice, and the import
  // threw "null pointer passed to rust" instead of returning { ok: false }.
  it('refuses a change that adds an unknown field', async () => {
    const { alice, documentId, saved } = await setup()
    const bytes = withChange(saved, (draft) => {
      draft.colour = 'red'
    })
    const result = await alice.db.importDocument(documentId, bytes)
    expect(result.ok).toBe(false)
  })

  it('refuses a change that writes a wrong-typed value', async () => {
    const { alice, documentId, saved } = await setup()
    const bytes = withChange(saved, (draft) => {
      draft.priority = 'high'
    })
    expect((await alice.db.importDocument(documentId, bytes)).ok).toBe(false)
  })

  it('refuses a change that moves the row to another id', async () => {
    const { alice, documentId, saved } = await setup()
    const bytes = withChange(saved, (draft) => {
      draft._id = new Automerge.ImmutableString('wo-2')
    })
    expect((await alice.db.importDocument(documentId, bytes)).ok).toBe(false)
  })

  // loadIncremental into a non-empty document skips bytes it cannot parse, so these were
  // accepted as { ok: true, changed: false }.
  it('refuses random bytes', async () => {
    const { alice, documentId } = await setup()
    const result = await alice.db.importDocument(documentId, randomBytes)
    expect(result.ok).toBe(false)
  })

  it('refuses truncated bytes', async () => {
    const { alice, documentId, saved } = await setup()
    const result = await alice.db.importDocument(documentId, saved.slice(0, -3))
    expect(result.ok).toBe(false)
  })

  it('keeps the row and its heads after refusing', async () => {
    const { alice, documentId, saved } = await setup()
    const row = alice.workOrders.get('wo-1')
    const heads = alice.db.heads(documentId)
    const bytes = withChange(saved, (draft) => {
      draft.priority = 'high'
    })
    await alice.db.importDocument(documentId, bytes).catch(() => undefined)
    expect(alice.workOrders.get('wo-1')).toEqual(row)
    expect(alice.db.heads(documentId)).toEqual(heads)
  })

  it('stores nothing when refusing', async () => {
    const { alice, documentId, saved } = await setup()
    const before = await storedEntries(alice.storage)
    const bytes = withChange(saved, (draft) => {
      draft.colour = 'red'
    })
    await alice.db.importDocument(documentId, bytes).catch(() => undefined)
    expect(await storedEntries(alice.storage)).toEqual(before)
  })

  it('accepts valid changes to the row after refusing', async () => {
    const { alice, documentId, saved } = await setup()
    const bytes = withChange(saved, (draft) => {
      draft.colour = 'red'
    })
    await alice.db.importDocument(documentId, bytes).catch(() => undefined)
    await alice.workOrders.update('wo-1', { priority: 1 })
    await alice.workOrders.update('wo-1', { notes: 'hello there' })
    expect(alice.workOrders.get('wo-1')).toMatchObject({ priority: 1, notes: 'hello there' })
  })

  it('accepts a valid import of the row after refusing', async () => {
    const { alice, bob, documentId, saved } = await setup()
    await bob.db.importDocument(documentId, saved)
    await bob.workOrders.update('wo-1', { assignee: 'bob' })
    const bad = withChange(saved, (draft) => {
      draft.colour = 'red'
    })
    await alice.db.importDocument(documentId, bad).catch(() => undefined)
    const good = await bob.db.exportDocument(documentId)
    expect(await alice.db.importDocument(documentId, good ?? saved)).toEqual({
      ok: true,
      changed: true,
    })
    expect(alice.workOrders.get('wo-1')?.assignee).toBe('bob')
  })

  it('keeps the history free of refused changes', async () => {
    const { alice, documentId, saved } = await setup()
    const bytes = withChange(saved, (draft) => {
      draft.colour = 'red'
    })
    await alice.db.importDocument(documentId, bytes).catch(() => undefined)
    expect(await alice.db.history('workOrders', 'wo-1')).toHaveLength(1)
  })

  it('keeps the row valid after reopening', async () => {
    const { alice, documentId, saved } = await setup()
    const bytes = withChange(saved, (draft) => {
      draft.priority = 'high'
    })
    await alice.db.importDocument(documentId, bytes).catch(() => undefined)
    await alice.db.close()
    const reopened = await openTestDatabase({ storage: alice.storage })
    expect(reopened.workOrders.get('wo-1')?.priority).toBe(3)
  })
})

import { ValidationError } from '@rowsync/schema'
import { describe, expect, it } from 'vitest'
import { RowExistsError } from '../../src/RowExistsError.ts'
import { RowNotFoundError } from '../../src/RowNotFoundError.ts'
import type { MemoryStorageAdapter } from '../../src/storage/MemoryStorageAdapter.ts'
import type { Table } from '../../src/Table.ts'
import { openTestDatabase } from '../fixtures.ts'

async function setup() {
  const opened = await openTestDatabase()
  // The untyped view lets tests send what the types would refuse, as JavaScript callers can.
  const untyped = opened.db.table('workOrders') as unknown as Table
  return { ...opened, untyped }
}

/** Every stored key with its bytes, to check that a refused write stored nothing. */
async function storedEntries(storage: MemoryStorageAdapter): Promise<Map<string, Uint8Array>> {
  const chunks = await storage.loadRange([])
  return new Map(chunks.map((chunk) => [JSON.stringify(chunk.key), chunk.data ?? new Uint8Array()]))
}

describe('Table.insert', () => {
  it('stores a row under the given id', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    expect(workOrders.get('wo-1')?.title).toBe('Fix pump')
  })

  it('returns the stored row', async () => {
    const { workOrders } = await setup()
    const row = await workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    expect(row).toEqual(workOrders.get('wo-1'))
  })

  it('generates an id when none is given', async () => {
    const { workOrders } = await setup()
    const row = await workOrders.insert({ title: 'Fix pump' })
    expect(row.id).toMatch(/^[A-Za-z0-9._:-]{1,128}$/)
    expect(workOrders.get(row.id)?.title).toBe('Fix pump')
  })

  it('generates a different id for each row', async () => {
    const { workOrders } = await setup()
    const first = await workOrders.insert({ title: 'One' })
    const second = await workOrders.insert({ title: 'Two' })
    expect(first.id).not.toBe(second.id)
  })

  // Text fields are never null: an empty text reads as ''.
  it('fills in defaults and sets fields without one to null', async () => {
    const { workOrders } = await setup()
    const row = await workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    expect(row).toEqual({
      id: 'wo-1',
      title: 'Fix pump',
      status: 'open',
      priority: 3,
      estimate: null,
      urgent: false,
      due: null,
      visitAt: null,
      notes: '',
      customer: null,
      partsUsed: 0,
      assignee: null,
    })
  })

  it('stores a datetime in UTC', async () => {
    const { workOrders } = await setup()
    const row = await workOrders.insert(
      { title: 'Fix pump', visitAt: '2024-05-01T09:00:00+02:00' },
      { id: 'wo-1' },
    )
    expect(row.visitAt).toBe('2024-05-01T07:00:00.000Z')
  })

  it('returns a frozen row', async () => {
    const { workOrders } = await setup()
    const row = await workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    expect(Object.isFrozen(row)).toBe(true)
  })

  it('refuses an id that exists with RowExistsError', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    await expect(workOrders.insert({ title: 'Other' }, { id: 'wo-1' })).rejects.toBeInstanceOf(
      RowExistsError,
    )
  })

  it('keeps the existing row when refusing a duplicate id', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    await workOrders.insert({ title: 'Other' }, { id: 'wo-1' }).catch(() => undefined)
    expect(workOrders.get('wo-1')?.title).toBe('Fix pump')
  })

  it('keeps accepting writes to a row after refusing a duplicate id', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    await workOrders.insert({ title: 'Other' }, { id: 'wo-1' }).catch(() => undefined)
    await workOrders.update('wo-1', { priority: 1 })
    expect(workOrders.get('wo-1')).toMatchObject({ title: 'Fix pump', priority: 1 })
  })

  it('refuses values that do not fit with ValidationError', async () => {
    const { untyped } = await setup()
    await expect(untyped.insert({ title: 'x', priority: 'high' })).rejects.toBeInstanceOf(
      ValidationError,
    )
  })

  it('lists every bad field in the ValidationError', async () => {
    const { untyped } = await setup()
    const error = await untyped
      .insert({ priority: 'high', colour: 'red' })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).issues.map((issue) => issue.field).sort()).toEqual([
      'colour',
      'priority',
      'title',
    ])
  })

  it('names the bad field in the ValidationError message', async () => {
    const { untyped } = await setup()
    await expect(untyped.insert({ title: 'x', priority: 'high' })).rejects.toThrow(/priority/)
  })

  it('writes nothing when refusing values', async () => {
    const { db, storage, untyped } = await setup()
    const before = await storedEntries(storage)
    await untyped.insert({ title: 'x', priority: 'high' }, { id: 'wo-1' }).catch(() => undefined)
    expect(untyped.count()).toBe(0)
    expect(untyped.get('wo-1')).toBeUndefined()
    expect(db.documentIds()).toEqual([])
    expect(await storedEntries(storage)).toEqual(before)
  })

  it.each([[''], ['has space'], ['a'.repeat(129)], ['wo/1']])(
    'refuses the id %j with TypeError',
    async (id) => {
      const { workOrders } = await setup()
      await expect(workOrders.insert({ title: 'x' }, { id })).rejects.toBeInstanceOf(TypeError)
    },
  )

  it('brings a deleted row back when inserting its id again', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'Old', priority: 1 }, { id: 'wo-1' })
    await workOrders.delete('wo-1')
    await workOrders.insert({ title: 'New' }, { id: 'wo-1' })
    expect(workOrders.get('wo-1')).toMatchObject({ title: 'New', priority: 3 })
  })

  it('lists a row inserted again after a delete once', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'Old' }, { id: 'wo-1' })
    await workOrders.delete('wo-1')
    await workOrders.insert({ title: 'New' }, { id: 'wo-1' })
    expect(workOrders.list().map((row) => row.id)).toEqual(['wo-1'])
  })

  it('keeps rows of different tables with the same id apart', async () => {
    const { db, workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump' }, { id: 'shared' })
    await db.table('customers').insert({ name: 'Acme' }, { id: 'shared' })
    expect(workOrders.get('shared')?.title).toBe('Fix pump')
    expect(db.table('customers').get('shared')?.name).toBe('Acme')
  })
})

describe('Table.update', () => {
  it('changes the given fields and keeps the others', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump', estimate: 2 }, { id: 'wo-1' })
    const row = await workOrders.update('wo-1', { priority: 1, status: 'scheduled' })
    expect(row).toMatchObject({ title: 'Fix pump', estimate: 2, priority: 1, status: 'scheduled' })
    expect(workOrders.get('wo-1')).toEqual(row)
  })

  it('clears an optional field set to null', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump', estimate: 2 }, { id: 'wo-1' })
    await workOrders.update('wo-1', { estimate: null })
    expect(workOrders.get('wo-1')?.estimate).toBeNull()
  })

  it('replaces text', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'x', notes: 'bring a wrench' }, { id: 'wo-1' })
    await workOrders.update('wo-1', { notes: 'bring two wrenches' })
    expect(workOrders.get('wo-1')?.notes).toBe('bring two wrenches')
  })

  it('writes no change for values equal to the stored ones', async () => {
    const { db, workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump', notes: 'a' }, { id: 'wo-1' })
    const before = await db.history('workOrders', 'wo-1')
    await workOrders.update('wo-1', { title: 'Fix pump', notes: 'a', estimate: null, priority: 3 })
    expect(await db.history('workOrders', 'wo-1')).toHaveLength(before.length)
  })

  it('keeps the heads when values equal the stored ones', async () => {
    const { db, workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    const [documentId] = db.documentIds()
    const heads = db.heads(documentId ?? '')
    await workOrders.update('wo-1', { title: 'Fix pump' })
    expect(db.heads(documentId ?? '')).toEqual(heads)
  })

  it('accepts a change after one that wrote nothing', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    await workOrders.update('wo-1', { title: 'Fix pump' })
    await workOrders.update('wo-1', { title: 'Fix valve' })
    expect(workOrders.get('wo-1')?.title).toBe('Fix valve')
  })

  it('refuses a missing row with RowNotFoundError', async () => {
    const { workOrders } = await setup()
    await expect(workOrders.update('wo-9', { priority: 1 })).rejects.toBeInstanceOf(
      RowNotFoundError,
    )
  })

  it('refuses a deleted row with RowNotFoundError', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    await workOrders.delete('wo-1')
    await expect(workOrders.update('wo-1', { priority: 1 })).rejects.toBeInstanceOf(
      RowNotFoundError,
    )
  })

  it('does not bring a deleted row back when refusing an update', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    await workOrders.delete('wo-1')
    await workOrders.update('wo-1', { priority: 1 }).catch(() => undefined)
    expect(workOrders.get('wo-1')).toBeUndefined()
  })

  it('refuses values that do not fit with ValidationError', async () => {
    const { untyped } = await setup()
    await untyped.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    await expect(untyped.update('wo-1', { urgent: 'yes' })).rejects.toBeInstanceOf(ValidationError)
  })

  it('names the bad field in the ValidationError', async () => {
    const { untyped } = await setup()
    await untyped.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    const error = await untyped.update('wo-1', { urgent: 'yes' }).catch((caught: unknown) => caught)
    expect((error as ValidationError).issues.map((issue) => issue.field)).toEqual(['urgent'])
  })

  it('leaves the row unchanged when refusing values', async () => {
    const { db, untyped } = await setup()
    await untyped.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    const before = untyped.get('wo-1')
    const history = await db.history('workOrders', 'wo-1')
    await untyped.update('wo-1', { priority: 1, urgent: 'yes' }).catch(() => undefined)
    expect(untyped.get('wo-1')).toEqual(before)
    expect(await db.history('workOrders', 'wo-1')).toHaveLength(history.length)
  })

  it('refuses to clear a required field', async () => {
    const { untyped } = await setup()
    await untyped.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    await expect(untyped.update('wo-1', { title: null })).rejects.toBeInstanceOf(ValidationError)
  })

  it('refuses a value for a counter', async () => {
    const { untyped } = await setup()
    await untyped.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    await expect(untyped.update('wo-1', { partsUsed: 5 })).rejects.toBeInstanceOf(ValidationError)
  })

  it('refuses an invalid id with TypeError', async () => {
    const { workOrders } = await setup()
    await expect(workOrders.update('has space', { priority: 1 })).rejects.toBeInstanceOf(TypeError)
  })

  it('applies every write issued at once to one row', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    await Promise.all([
      workOrders.update('wo-1', { priority: 1 }),
      workOrders.increment('wo-1', 'partsUsed', 2),
      workOrders.update('wo-1', { notes: 'hi' }),
      workOrders.increment('wo-1', 'partsUsed', 3),
    ])
    expect(workOrders.get('wo-1')).toMatchObject({ priority: 1, notes: 'hi', partsUsed: 5 })
  })
})

describe('Table.increment', () => {
  it('adds one by default', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    const row = await workOrders.increment('wo-1', 'partsUsed')
    expect(row.partsUsed).toBe(1)
  })

  it('adds the given amount', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump', partsUsed: 2 }, { id: 'wo-1' })
    await workOrders.increment('wo-1', 'partsUsed', 5)
    expect(workOrders.get('wo-1')?.partsUsed).toBe(7)
  })

  it('subtracts a negative amount', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump', partsUsed: 5 }, { id: 'wo-1' })
    await workOrders.increment('wo-1', 'partsUsed', -2)
    expect(workOrders.get('wo-1')?.partsUsed).toBe(3)
  })

  it('adds up successive increments', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    await workOrders.increment('wo-1', 'partsUsed', 2)
    await workOrders.increment('wo-1', 'partsUsed', 3)
    expect(workOrders.get('wo-1')?.partsUsed).toBe(5)
  })

  it('starts a counter inserted as null from zero', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump', partsUsed: null }, { id: 'wo-1' })
    await workOrders.increment('wo-1', 'partsUsed', 4)
    expect(workOrders.get('wo-1')?.partsUsed).toBe(4)
  })

  it('refuses a field that is not a counter with ValidationError', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    await expect(workOrders.increment('wo-1', 'priority')).rejects.toBeInstanceOf(ValidationError)
  })

  it('names the field that is not a counter', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    const error = await workOrders.increment('wo-1', 'priority').catch((caught: unknown) => caught)
    expect((error as ValidationError).issues.map((issue) => issue.field)).toEqual(['priority'])
  })

  it('refuses an unknown field with ValidationError', async () => {
    const { untyped } = await setup()
    await untyped.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    await expect(untyped.increment('wo-1', 'colour')).rejects.toBeInstanceOf(ValidationError)
  })

  it.each([[1.5], [Number.NaN], [Number.POSITIVE_INFINITY], [2 ** 53]])(
    'refuses the amount %d with ValidationError',
    async (by) => {
      const { workOrders } = await setup()
      await workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
      await expect(workOrders.increment('wo-1', 'partsUsed', by)).rejects.toBeInstanceOf(
        ValidationError,
      )
    },
  )

  it('leaves the counter unchanged when refusing an amount', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump', partsUsed: 2 }, { id: 'wo-1' })
    await workOrders.increment('wo-1', 'partsUsed', 0.5).catch(() => undefined)
    expect(workOrders.get('wo-1')?.partsUsed).toBe(2)
  })

  it('refuses a missing row with RowNotFoundError', async () => {
    const { workOrders } = await setup()
    await expect(workOrders.increment('wo-9', 'partsUsed')).rejects.toBeInstanceOf(RowNotFoundError)
  })

  it('refuses a deleted row with RowNotFoundError', async () => {
    const { workOrders } = await setup()
    await workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    await workOrders.delete('wo-1')
    await expect(workOrders.increment('wo-1', 'partsUsed')).rejects.toBeInstanceOf(RowNotFoundError)
  })
})

describe('Table.delete', () => {
  async function withDeletedRow() {
    const opened = await setup()
    await opened.workOrders.insert({ title: 'Keep' }, { id: 'wo-1' })
    await opened.workOrders.insert({ title: 'Drop' }, { id: 'wo-2' })
    await opened.workOrders.delete('wo-2')
    return opened
  }

  it('removes the row from get', async () => {
    const { workOrders } = await withDeletedRow()
    expect(workOrders.get('wo-2')).toBeUndefined()
  })

  it('removes the row from list', async () => {
    const { workOrders } = await withDeletedRow()
    expect(workOrders.list().map((row) => row.id)).toEqual(['wo-1'])
  })

  it('removes the row from query results', async () => {
    const { workOrders } = await withDeletedRow()
    expect(workOrders.query({ where: { title: 'Drop' } })).toEqual([])
  })

  it('removes the row from count', async () => {
    const { workOrders } = await withDeletedRow()
    expect(workOrders.count()).toBe(1)
  })

  it('refuses to delete a deleted row with RowNotFoundError', async () => {
    const { workOrders } = await withDeletedRow()
    await expect(workOrders.delete('wo-2')).rejects.toBeInstanceOf(RowNotFoundError)
  })

  it('refuses to delete a missing row with RowNotFoundError', async () => {
    const { workOrders } = await setup()
    await expect(workOrders.delete('wo-9')).rejects.toBeInstanceOf(RowNotFoundError)
  })

  it('keeps the document of a deleted row so the tombstone replicates', async () => {
    const { db } = await withDeletedRow()
    expect(db.documentIds()).toHaveLength(2)
  })
})

describe('Database.table', () => {
  it('throws for a table the schema does not have', async () => {
    const { db } = await setup()
    expect(() => db.table('invoices' as never)).toThrow(Error)
  })

  it('gives every call the same table', async () => {
    const { db } = await setup()
    expect(db.table('workOrders')).toBe(db.table('workOrders'))
  })
})

describe('a closed database', () => {
  it('refuses writes', async () => {
    const { db, workOrders } = await setup()
    await db.close()
    await expect(workOrders.insert({ title: 'x' })).rejects.toThrow(Error)
  })

  it('refuses reads', async () => {
    const { db, workOrders } = await setup()
    await db.close()
    expect(() => workOrders.list()).toThrow(Error)
  })
})

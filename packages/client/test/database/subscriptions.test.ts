import { describe, expect, it } from 'vitest'
import type { Row } from '../../src/Table.ts'
import { exchange } from '../../src/testing/exchange.ts'
import { openTestDatabase } from '../fixtures.ts'

async function setup() {
  const opened = await openTestDatabase()
  await opened.workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
  await opened.workOrders.insert({ title: 'Paint fence' }, { id: 'wo-2' })
  return opened
}

/** A listener that records every call. */
function recorder<T>(): { calls: T[]; listener: (value: T) => void } {
  const calls: T[] = []
  return { calls, listener: (value) => calls.push(value) }
}

describe('Table.subscribe', () => {
  it('does not call the listener on subscribe', async () => {
    const { workOrders } = await setup()
    const { calls, listener } = recorder<Row | undefined>()
    workOrders.subscribe('wo-1', listener)
    expect(calls).toEqual([])
  })

  it('calls the listener with the new row once the change is committed', async () => {
    const { workOrders } = await setup()
    const { calls, listener } = recorder<Row | undefined>()
    workOrders.subscribe('wo-1', listener)
    const updated = await workOrders.update('wo-1', { priority: 1 })
    expect(calls).toEqual([updated])
  })

  it('calls the listener once per change', async () => {
    const { workOrders } = await setup()
    const { calls, listener } = recorder<Row | undefined>()
    workOrders.subscribe('wo-1', listener)
    await workOrders.update('wo-1', { priority: 1 })
    await workOrders.increment('wo-1', 'partsUsed')
    await workOrders.update('wo-1', { notes: 'done' })
    expect(calls.map((row) => [row?.priority, row?.partsUsed, row?.notes])).toEqual([
      [1, 0, ''],
      [1, 1, ''],
      [1, 1, 'done'],
    ])
  })

  it('calls the listener with undefined when the row is deleted', async () => {
    const { workOrders } = await setup()
    const { calls, listener } = recorder<Row | undefined>()
    workOrders.subscribe('wo-1', listener)
    await workOrders.delete('wo-1')
    expect(calls).toEqual([undefined])
  })

  it('calls the listener when a row it waits for is inserted', async () => {
    const { workOrders } = await setup()
    const { calls, listener } = recorder<Row | undefined>()
    workOrders.subscribe('wo-3', listener)
    const inserted = await workOrders.insert({ title: 'New' }, { id: 'wo-3' })
    expect(calls).toEqual([inserted])
  })

  it('does not call the listener for changes to other rows', async () => {
    const { workOrders } = await setup()
    const { calls, listener } = recorder<Row | undefined>()
    workOrders.subscribe('wo-1', listener)
    await workOrders.update('wo-2', { priority: 1 })
    await workOrders.insert({ title: 'New' }, { id: 'wo-3' })
    await workOrders.delete('wo-2')
    expect(calls).toEqual([])
  })

  it('does not call the listener for rows of another table with the same id', async () => {
    const { db, workOrders } = await setup()
    const { calls, listener } = recorder<Row | undefined>()
    workOrders.subscribe('wo-1', listener)
    await db.table('customers').insert({ name: 'Acme' }, { id: 'wo-1' })
    expect(calls).toEqual([])
  })

  it('does not call the listener for a change that writes nothing', async () => {
    const { workOrders } = await setup()
    const { calls, listener } = recorder<Row | undefined>()
    workOrders.subscribe('wo-1', listener)
    await workOrders.update('wo-1', { title: 'Fix pump' })
    expect(calls).toEqual([])
  })

  it('does not call the listener for a refused change', async () => {
    const { workOrders } = await setup()
    const { calls, listener } = recorder<Row | undefined>()
    workOrders.subscribe('wo-1', listener)
    await workOrders.increment('wo-1', 'partsUsed', 0.5).catch(() => undefined)
    expect(calls).toEqual([])
  })

  it('stops calling the listener after unsubscribe', async () => {
    const { workOrders } = await setup()
    const { calls, listener } = recorder<Row | undefined>()
    const unsubscribe = workOrders.subscribe('wo-1', listener)
    await workOrders.update('wo-1', { priority: 1 })
    unsubscribe()
    await workOrders.update('wo-1', { priority: 2 })
    expect(calls).toHaveLength(1)
  })

  it('keeps calling other listeners after one unsubscribes', async () => {
    const { workOrders } = await setup()
    const first = recorder<Row | undefined>()
    const second = recorder<Row | undefined>()
    const unsubscribe = workOrders.subscribe('wo-1', first.listener)
    workOrders.subscribe('wo-1', second.listener)
    unsubscribe()
    await workOrders.update('wo-1', { priority: 1 })
    expect([first.calls.length, second.calls.length]).toEqual([0, 1])
  })

  it('calls the listener for a change merged through exchange', async () => {
    const { db, workOrders } = await setup()
    const { db: other, workOrders: otherOrders } = await openTestDatabase({ user: 'bob' })
    await exchange(db, other)
    const { calls, listener } = recorder<Row | undefined>()
    workOrders.subscribe('wo-1', listener)
    await otherOrders.update('wo-1', { assignee: 'bob' })
    await exchange(db, other)
    expect(calls.map((row) => row?.assignee)).toEqual(['bob'])
  })

  it('calls the listener for a change merged through importDocument', async () => {
    const { db, workOrders } = await setup()
    const { db: other, workOrders: otherOrders } = await openTestDatabase({ user: 'bob' })
    await exchange(db, other)
    await otherOrders.update('wo-1', { assignee: 'bob' })
    const { calls, listener } = recorder<Row | undefined>()
    workOrders.subscribe('wo-1', listener)
    for (const documentId of other.documentIds()) {
      const bytes = await other.exportDocument(documentId)
      if (bytes) await db.importDocument(documentId, bytes)
    }
    expect(calls.map((row) => row?.assignee)).toEqual(['bob'])
  })

  it('calls the listener with undefined for a delete merged through exchange', async () => {
    const { db, workOrders } = await setup()
    const { db: other, workOrders: otherOrders } = await openTestDatabase({ user: 'bob' })
    await exchange(db, other)
    const { calls, listener } = recorder<Row | undefined>()
    workOrders.subscribe('wo-1', listener)
    await otherOrders.delete('wo-1')
    await exchange(db, other)
    expect(calls).toEqual([undefined])
  })

  it('does not call the listener for an import that changes nothing', async () => {
    const { db, workOrders } = await setup()
    const { calls, listener } = recorder<Row | undefined>()
    workOrders.subscribe('wo-1', listener)
    for (const documentId of db.documentIds()) {
      const bytes = await db.exportDocument(documentId)
      if (bytes) await db.importDocument(documentId, bytes)
    }
    expect(calls).toEqual([])
  })
})

describe('Table.subscribeQuery', () => {
  it('does not call the listener on subscribe', async () => {
    const { workOrders } = await setup()
    const { calls, listener } = recorder<Row[]>()
    workOrders.subscribeQuery({ where: { status: 'open' } }, listener)
    expect(calls).toEqual([])
  })

  it('calls the listener with the new result when a change alters it', async () => {
    const { workOrders } = await setup()
    const { calls, listener } = recorder<Row[]>()
    workOrders.subscribeQuery({ where: { status: 'open' } }, listener)
    await workOrders.update('wo-1', { status: 'done' })
    expect(calls).toEqual([workOrders.query({ where: { status: 'open' } })])
    expect(calls[0]?.map((row) => row.id)).toEqual(['wo-2'])
  })

  it('calls the listener when a value of a matching row changes', async () => {
    const { workOrders } = await setup()
    const { calls, listener } = recorder<Row[]>()
    workOrders.subscribeQuery({ where: { status: 'open' } }, listener)
    await workOrders.update('wo-1', { priority: 1 })
    expect(calls.map((rows) => rows.map((row) => row.priority))).toEqual([[1, 3]])
  })

  it('calls the listener once per committed change', async () => {
    const { workOrders } = await setup()
    const { calls, listener } = recorder<Row[]>()
    workOrders.subscribeQuery({}, listener)
    await workOrders.insert({ title: 'One' }, { id: 'wo-3' })
    await workOrders.insert({ title: 'Two' }, { id: 'wo-4' })
    expect(calls.map((rows) => rows.length)).toEqual([3, 4])
  })

  it('gives the last call the result of writes committed together', async () => {
    const { workOrders } = await setup()
    const { calls, listener } = recorder<Row[]>()
    workOrders.subscribeQuery({}, listener)
    await Promise.all([
      workOrders.insert({ title: 'One' }, { id: 'wo-3' }),
      workOrders.insert({ title: 'Two' }, { id: 'wo-4' }),
      workOrders.insert({ title: 'Three' }, { id: 'wo-5' }),
    ])
    expect(calls.length).toBeGreaterThanOrEqual(1)
    expect(calls.at(-1)?.map((row) => row.id)).toEqual(['wo-1', 'wo-2', 'wo-3', 'wo-4', 'wo-5'])
  })

  it('does not call the listener for a change outside the result', async () => {
    const { workOrders } = await setup()
    const { calls, listener } = recorder<Row[]>()
    workOrders.subscribeQuery({ where: { id: 'wo-1' } }, listener)
    await workOrders.update('wo-2', { priority: 1 })
    expect(calls).toEqual([])
  })

  it('does not call the listener for a change past the page', async () => {
    const { workOrders } = await setup()
    const { calls, listener } = recorder<Row[]>()
    workOrders.subscribeQuery({ orderBy: 'id', limit: 1 }, listener)
    await workOrders.insert({ title: 'Later' }, { id: 'wo-3' })
    expect(calls).toEqual([])
  })

  it('does not call the listener for changes to another table', async () => {
    const { db, workOrders } = await setup()
    const { calls, listener } = recorder<Row[]>()
    workOrders.subscribeQuery({}, listener)
    await db.table('customers').insert({ name: 'Acme' })
    expect(calls).toEqual([])
  })

  it('calls the listener when a row leaves the result by delete', async () => {
    const { workOrders } = await setup()
    const { calls, listener } = recorder<Row[]>()
    workOrders.subscribeQuery({}, listener)
    await workOrders.delete('wo-2')
    expect(calls.map((rows) => rows.map((row) => row.id))).toEqual([['wo-1']])
  })

  it('stops calling the listener after unsubscribe', async () => {
    const { workOrders } = await setup()
    const { calls, listener } = recorder<Row[]>()
    const unsubscribe = workOrders.subscribeQuery({}, listener)
    unsubscribe()
    await workOrders.update('wo-1', { priority: 1 })
    expect(calls).toEqual([])
  })

  it('calls the listener for a change merged through exchange', async () => {
    const { db, workOrders } = await setup()
    const { db: other, workOrders: otherOrders } = await openTestDatabase({ user: 'bob' })
    const { calls, listener } = recorder<Row[]>()
    workOrders.subscribeQuery({ where: { assignee: 'bob' } }, listener)
    await exchange(db, other)
    await otherOrders.update('wo-2', { assignee: 'bob' })
    await exchange(db, other)
    expect(calls.map((rows) => rows.map((row) => row.id))).toEqual([['wo-2']])
  })

  it('calls the listener for a row first seen through exchange', async () => {
    const { db, workOrders } = await setup()
    const { db: other, workOrders: otherOrders } = await openTestDatabase({ user: 'bob' })
    const { calls, listener } = recorder<Row[]>()
    workOrders.subscribeQuery({ where: { title: 'From bob' } }, listener)
    await otherOrders.insert({ title: 'From bob' }, { id: 'wo-9' })
    await exchange(db, other)
    expect(calls.map((rows) => rows.map((row) => row.id))).toEqual([['wo-9']])
  })
})

import { describe, expect, it } from 'vitest'
import { exchange } from '../../src/testing/exchange.ts'
import { openTestDatabase } from '../fixtures.ts'

/** A database whose clock moves one second per change, so each event has its own time. */
async function setup(user = 'alice', start = 1_700_000_000_000) {
  let time = start
  const opened = await openTestDatabase({ user, now: () => (time += 1000) })
  return opened
}

async function setupWithChanges() {
  const opened = await setup()
  const { workOrders } = opened
  await workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
  await workOrders.update('wo-1', { priority: 1, notes: 'hi' })
  await workOrders.increment('wo-1', 'partsUsed', 2)
  await workOrders.update('wo-1', { notes: 'hi there' })
  await workOrders.delete('wo-1')
  await workOrders.insert({ title: 'Fix pump again' }, { id: 'wo-1' })
  return opened
}

describe('Database.history', () => {
  it('lists one event per change in the order they were made', async () => {
    const { db } = await setupWithChanges()
    const history = await db.history('workOrders', 'wo-1')
    expect(history.map((event) => event.kind)).toEqual([
      'insert',
      'update',
      'increment',
      'update',
      'delete',
      'insert',
    ])
  })

  it('records the user and device of every change', async () => {
    const { db } = await setupWithChanges()
    const history = await db.history('workOrders', 'wo-1')
    for (const event of history) {
      expect([event.user, event.device]).toEqual(['alice', db.device])
    }
  })

  it('records the time of the injected clock', async () => {
    const { db } = await setupWithChanges()
    const history = await db.history('workOrders', 'wo-1')
    expect(history.map((event) => event.time)).toEqual([
      1_700_000_001_000, 1_700_000_002_000, 1_700_000_003_000, 1_700_000_004_000, 1_700_000_005_000,
      1_700_000_006_000,
    ])
  })

  it('gives every event its own hash', async () => {
    const { db } = await setupWithChanges()
    const history = await db.history('workOrders', 'wo-1')
    expect(new Set(history.map((event) => event.hash)).size).toBe(history.length)
  })

  // Text and counter fields start in the row's skeleton (empty text, zero), which history
  // leaves out, so an insert that keeps them there does not list them.
  it('lists the fields an insert set, from null', async () => {
    const { db } = await setupWithChanges()
    const [insert] = await db.history('workOrders', 'wo-1')
    expect(insert?.fields).toEqual([
      { field: 'priority', from: null, to: 3 },
      { field: 'status', from: null, to: 'open' },
      { field: 'title', from: null, to: 'Fix pump' },
      { field: 'urgent', from: null, to: false },
    ])
  })

  it('lists the fields an update changed with old and new values', async () => {
    const { db } = await setupWithChanges()
    const history = await db.history('workOrders', 'wo-1')
    expect(history[1]?.fields).toEqual([
      { field: 'notes', from: '', to: 'hi' },
      { field: 'priority', from: 3, to: 1 },
    ])
  })

  it('lists the counter an increment changed', async () => {
    const { db } = await setupWithChanges()
    const history = await db.history('workOrders', 'wo-1')
    expect(history[2]?.fields).toEqual([{ field: 'partsUsed', from: 0, to: 2 }])
  })

  it('lists a text edit with the whole old and new text', async () => {
    const { db } = await setupWithChanges()
    const history = await db.history('workOrders', 'wo-1')
    expect(history[3]?.fields).toEqual([{ field: 'notes', from: 'hi', to: 'hi there' }])
  })

  it('marks a delete as setting the tombstone, with no fields', async () => {
    const { db } = await setupWithChanges()
    const history = await db.history('workOrders', 'wo-1')
    expect(history[4]).toMatchObject({ kind: 'delete', deleted: true, fields: [] })
  })

  it('marks an insert after a delete as clearing the tombstone', async () => {
    const { db } = await setupWithChanges()
    const history = await db.history('workOrders', 'wo-1')
    expect(history[5]).toMatchObject({ kind: 'insert', deleted: false })
  })

  it('lists the fields an insert after a delete reset', async () => {
    const { db } = await setupWithChanges()
    const history = await db.history('workOrders', 'wo-1')
    expect(history[5]?.fields).toEqual([
      { field: 'notes', from: 'hi there', to: '' },
      { field: 'partsUsed', from: 2, to: 0 },
      { field: 'priority', from: 1, to: 3 },
      { field: 'title', from: 'Fix pump', to: 'Fix pump again' },
    ])
  })

  it('does not list a change that wrote nothing', async () => {
    const { db, workOrders } = await setupWithChanges()
    await workOrders.update('wo-1', { title: 'Fix pump again' })
    expect(await db.history('workOrders', 'wo-1')).toHaveLength(6)
  })

  it('records a resolve with its kind', async () => {
    const alice = await setup('alice', 1_000_000)
    const bob = await setup('bob', 2_000_000)
    await alice.workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    await exchange(alice.db, bob.db)
    await alice.workOrders.update('wo-1', { status: 'scheduled' })
    await bob.workOrders.update('wo-1', { status: 'done' })
    await exchange(alice.db, bob.db)
    await alice.db.resolve('workOrders', 'wo-1', 'status', 'open')
    const last = (await alice.db.history('workOrders', 'wo-1')).at(-1)
    expect(last).toMatchObject({ kind: 'resolve', user: 'alice' })
    expect(last?.fields.map((change) => [change.field, change.to])).toEqual([['status', 'open']])
  })

  it('lists the changes of both devices in causal order after exchange', async () => {
    const alice = await setup('alice', 1_000_000)
    const bob = await setup('bob', 2_000_000)
    await alice.workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    await exchange(alice.db, bob.db)
    await bob.workOrders.update('wo-1', { priority: 1 })
    await exchange(alice.db, bob.db)
    await alice.workOrders.update('wo-1', { priority: 2 })
    await exchange(alice.db, bob.db)
    const history = await bob.db.history('workOrders', 'wo-1')
    expect(history.map((event) => [event.user, event.device, event.kind])).toEqual([
      ['alice', alice.db.device, 'insert'],
      ['bob', bob.db.device, 'update'],
      ['alice', alice.db.device, 'update'],
    ])
  })

  it('shows each concurrent change from its author’s point of view', async () => {
    const alice = await setup('alice', 1_000_000)
    const bob = await setup('bob', 2_000_000)
    await alice.workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    await exchange(alice.db, bob.db)
    await alice.workOrders.update('wo-1', { priority: 1 })
    await bob.workOrders.update('wo-1', { priority: 5 })
    await exchange(alice.db, bob.db)
    const updates = (await alice.db.history('workOrders', 'wo-1')).filter(
      (event) => event.kind === 'update',
    )
    expect(updates.map((event) => [event.user, event.fields]).sort()).toEqual([
      ['alice', [{ field: 'priority', from: 3, to: 1 }]],
      ['bob', [{ field: 'priority', from: 3, to: 5 }]],
    ])
  })

  it('lists the same events on both devices', async () => {
    const alice = await setup('alice', 1_000_000)
    const bob = await setup('bob', 2_000_000)
    await alice.workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })
    await exchange(alice.db, bob.db)
    await alice.workOrders.update('wo-1', { priority: 1 })
    await bob.workOrders.increment('wo-1', 'partsUsed')
    await exchange(alice.db, bob.db)
    const byHash = (events: ReadonlyArray<{ hash: string }>) =>
      [...events].sort((a, b) => a.hash.localeCompare(b.hash))
    expect(byHash(await alice.db.history('workOrders', 'wo-1'))).toEqual(
      byHash(await bob.db.history('workOrders', 'wo-1')),
    )
  })

  it('is empty for a row that is not on this device', async () => {
    const { db } = await setupWithChanges()
    expect(await db.history('workOrders', 'wo-9')).toEqual([])
  })

  it('is empty for the id of a row of another table', async () => {
    const { db } = await setupWithChanges()
    expect(await db.history('customers', 'wo-1')).toEqual([])
  })

  it('refuses an invalid id with TypeError', async () => {
    const { db } = await setupWithChanges()
    await expect(db.history('workOrders', 'has space')).rejects.toBeInstanceOf(TypeError)
  })
})

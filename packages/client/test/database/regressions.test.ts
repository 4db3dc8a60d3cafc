import { describe, expect, it } from 'vitest'
import { exchange } from '../../src/testing/exchange.ts'
import { openTestDatabase } from '../fixtures.ts'

async function twoDevices() {
  const alice = await openTestDatabase({ user: 'alice' })
  const bob = await openTestDatabase({ user: 'bob' })
  return { alice, bob }
}

describe('rows created with the same id on two devices offline', () => {
  // Each device's insert created its own counter object, so after the merge one device's
  // increments were lost.
  it('add up both devices’ increments', async () => {
    const { alice, bob } = await twoDevices()
    await alice.workOrders.insert({ title: 'A' }, { id: 'same' })
    await bob.workOrders.insert({ title: 'B' }, { id: 'same' })
    await alice.workOrders.increment('same', 'partsUsed', 5)
    await bob.workOrders.increment('same', 'partsUsed', 7)
    await exchange(alice.db, bob.db)
    expect(alice.workOrders.get('same')?.partsUsed).toBe(12)
    expect(bob.workOrders.get('same')?.partsUsed).toBe(12)
  })

  // Each device's insert created its own text object, so one device's text vanished.
  it('keep both devices’ text edits', async () => {
    const { alice, bob } = await twoDevices()
    await alice.workOrders.insert({ title: 'A', notes: 'pump' }, { id: 'same' })
    await bob.workOrders.insert({ title: 'B', notes: 'valve' }, { id: 'same' })
    await exchange(alice.db, bob.db)
    const notes = alice.workOrders.get('same')?.notes ?? ''
    expect(notes).toContain('pump')
    expect(notes).toContain('valve')
    expect(bob.workOrders.get('same')?.notes).toBe(notes)
  })
})

// A listener that threw made the durable write reject, so a retry failed or counted twice.
it('resolves a durable write even when a subscription listener throws', async () => {
  const { workOrders } = await openTestDatabase()
  workOrders.subscribe('wo-1', () => {
    throw new Error('listener failed')
  })
  await expect(workOrders.insert({ title: 'Fix pump' }, { id: 'wo-1' })).resolves.toMatchObject({
    id: 'wo-1',
  })
  expect(workOrders.get('wo-1')?.title).toBe('Fix pump')
})

// conflicts() used a projection captured before a queued resolve had cleared the flag.
it('lists conflicts while a resolve is in flight', async () => {
  const { alice, bob } = await twoDevices()
  await alice.workOrders.insert({ title: 'A' }, { id: 'wo-1' })
  await exchange(alice.db, bob.db)
  await alice.workOrders.update('wo-1', { assignee: 'ann' })
  await bob.workOrders.update('wo-1', { assignee: 'bo' })
  await exchange(alice.db, bob.db)
  const resolving = alice.db.resolve('workOrders', 'wo-1', 'assignee', 'ann')
  const conflicts = await alice.db.conflicts()
  await resolving
  expect(conflicts).toEqual([])
})

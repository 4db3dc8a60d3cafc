import { type DeleteConflict, type FieldConflict } from '@rowsync/schema'
import { defineSchema, ValidationError } from '@rowsync/schema'
import type { FieldValue } from '@rowsync/schema'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/Database.ts'
import { RowNotFoundError } from '../../src/RowNotFoundError.ts'
import { MemoryStorageAdapter } from '../../src/storage/MemoryStorageAdapter.ts'
import { exchange } from '../../src/testing/exchange.ts'
import { openTestDatabase } from '../fixtures.ts'

const aliceTime = 1_700_000_001_000
const bobTime = 1_700_000_002_000

/** Two devices that both hold work order wo-1 and customer c-1. */
async function setup() {
  const alice = await openTestDatabase({ user: 'alice', now: () => aliceTime })
  const bob = await openTestDatabase({ user: 'bob', now: () => bobTime })
  await alice.workOrders.insert(
    { title: 'Fix pump', notes: 'Bring the wrench.', priority: 3 },
    { id: 'wo-1' },
  )
  await alice.db.table('customers').insert({ name: 'Acme' }, { id: 'c-1' })
  await exchange(alice.db, bob.db)
  return { alice, bob }
}

/** Two devices where alice set status to scheduled while bob set it to done. */
async function setupStatusConflict() {
  const devices = await setup()
  await devices.alice.workOrders.update('wo-1', { status: 'scheduled' })
  await devices.bob.workOrders.update('wo-1', { status: 'done' })
  await exchange(devices.alice.db, devices.bob.db)
  return devices
}

async function fieldConflicts(db: {
  conflicts(): Promise<ReadonlyArray<DeleteConflict | FieldConflict>>
}): Promise<FieldConflict[]> {
  return (await db.conflicts()).filter(
    (conflict): conflict is FieldConflict => conflict.kind === 'field',
  )
}

describe('flag fields', () => {
  it('show a conflict on both devices', async () => {
    const { alice, bob } = await setupStatusConflict()
    for (const db of [alice.db, bob.db]) {
      expect(await db.conflicts()).toEqual([
        expect.objectContaining({
          kind: 'field',
          table: 'workOrders',
          id: 'wo-1',
          field: 'status',
        }),
      ])
    }
  })

  it('flag again when two devices resolve the conflict to different values at once', async () => {
    const { alice, bob } = await setupStatusConflict()
    // Each picks the value the other wrote; one of them is the value Automerge shows.
    await alice.db.resolve('workOrders', 'wo-1', 'status', 'done')
    await bob.db.resolve('workOrders', 'wo-1', 'status', 'scheduled')
    await exchange(alice.db, bob.db)
    for (const db of [alice.db, bob.db]) {
      const [conflict] = await fieldConflicts(db)
      expect(conflict?.values.map((value) => value.value).sort()).toEqual(['done', 'scheduled'])
      expect(conflict?.values.map((value) => value.user).sort()).toEqual(['alice', 'bob'])
    }
  })

  it('list the same values in the same order on both devices', async () => {
    const { alice, bob } = await setupStatusConflict()
    expect(await alice.db.conflicts()).toEqual(await bob.db.conflicts())
  })

  it('list every concurrent value with its user, device and time', async () => {
    const { alice, bob } = await setupStatusConflict()
    const [conflict] = await fieldConflicts(alice.db)
    const values = (conflict?.values ?? []).map(({ value, user, device, time }) => ({
      value,
      user,
      device,
      time,
    }))
    expect(values).toHaveLength(2)
    expect(values).toEqual(
      expect.arrayContaining([
        { value: 'scheduled', user: 'alice', device: alice.db.device, time: aliceTime },
        { value: 'done', user: 'bob', device: bob.db.device, time: bobTime },
      ]),
    )
  })

  it('mark exactly one value current', async () => {
    const { alice } = await setupStatusConflict()
    const [conflict] = await fieldConflicts(alice.db)
    expect(conflict?.values.filter((value) => value.current)).toHaveLength(1)
  })

  it('mark current the value that get shows, on both devices', async () => {
    const { alice, bob } = await setupStatusConflict()
    for (const { db, workOrders } of [alice, bob]) {
      const [conflict] = await fieldConflicts(db)
      const current = conflict?.values.find((value) => value.current)
      expect(current?.value).toBe(workOrders.get('wo-1')?.status)
    }
  })

  it('show the same value on both devices while flagged', async () => {
    const { alice, bob } = await setupStatusConflict()
    expect(alice.workOrders.get('wo-1')).toEqual(bob.workOrders.get('wo-1'))
  })

  it('show a conflict for a flagged string field', async () => {
    const { alice, bob } = await setup()
    await alice.workOrders.update('wo-1', { assignee: 'carol' })
    await bob.workOrders.update('wo-1', { assignee: 'dave' })
    await exchange(alice.db, bob.db)
    const [conflict] = await fieldConflicts(bob.db)
    expect(conflict?.field).toBe('assignee')
    expect(conflict?.values.map((value) => value.value).sort()).toEqual(['carol', 'dave'])
  })

  it('show one conflict per flagged field', async () => {
    const { alice, bob } = await setup()
    await alice.workOrders.update('wo-1', { assignee: 'carol', status: 'scheduled' })
    await bob.workOrders.update('wo-1', { assignee: 'dave', status: 'done' })
    await exchange(alice.db, bob.db)
    const fields = (await fieldConflicts(alice.db)).map((conflict) => conflict.field).sort()
    expect(fields).toEqual(['assignee', 'status'])
  })

  it('are not flagged when both devices write the same value', async () => {
    const { alice, bob } = await setup()
    await alice.workOrders.update('wo-1', { status: 'done' })
    await bob.workOrders.update('wo-1', { status: 'done' })
    await exchange(alice.db, bob.db)
    expect(await alice.db.conflicts()).toEqual([])
    expect(await bob.db.conflicts()).toEqual([])
  })

  it('are not flagged when the writes were not concurrent', async () => {
    const { alice, bob } = await setup()
    await alice.workOrders.update('wo-1', { status: 'scheduled' })
    await exchange(alice.db, bob.db)
    await bob.workOrders.update('wo-1', { status: 'done' })
    await exchange(alice.db, bob.db)
    expect(await alice.db.conflicts()).toEqual([])
    expect(alice.workOrders.get('wo-1')?.status).toBe('done')
  })

  // `current` compared values, so both writers of the shown value were marked current.
  it('mark exactly one value current when three devices write two values', async () => {
    const { alice, bob } = await setup()
    const carol = await openTestDatabase({ user: 'carol', now: () => bobTime + 1000 })
    await exchange(alice.db, carol.db)
    await alice.workOrders.update('wo-1', { status: 'done' })
    await bob.workOrders.update('wo-1', { status: 'scheduled' })
    // Carol's earlier changes give her write the highest operation counter, so 'done' (written
    // twice) is the value every device shows, whatever the random actor ids.
    await carol.workOrders.update('wo-1', { priority: 1 })
    await carol.workOrders.update('wo-1', { priority: 2 })
    await carol.workOrders.update('wo-1', { status: 'done' })
    await exchange(alice.db, bob.db)
    await exchange(alice.db, carol.db)
    await exchange(alice.db, bob.db)
    const [conflict] = await fieldConflicts(alice.db)
    expect(conflict?.values).toHaveLength(3)
    expect(conflict?.values.filter((value) => value.current)).toHaveLength(1)
  })

  it('are listed only for the table asked for', async () => {
    const { alice } = await setupStatusConflict()
    expect(await alice.db.conflicts('customers')).toEqual([])
    expect(await alice.db.conflicts('workOrders')).toHaveLength(1)
  })

  it('survive close and reopen', async () => {
    const { alice } = await setupStatusConflict()
    const conflicts = await alice.db.conflicts()
    await alice.db.close()
    const reopened = await openTestDatabase({ storage: alice.storage })
    expect(await reopened.db.conflicts()).toEqual(conflicts)
  })
})

describe('flag fields of every type', () => {
  const flagSchema = defineSchema({
    database: 'flags',
    tables: {
      people: { fields: { name: { type: 'string' } } },
      jobs: {
        fields: {
          label: { type: 'string', policy: 'flag' },
          hours: { type: 'number', policy: 'flag' },
          visits: { type: 'integer', policy: 'flag' },
          approved: { type: 'boolean', policy: 'flag' },
          due: { type: 'date', policy: 'flag' },
          startAt: { type: 'datetime', policy: 'flag' },
          stage: { type: 'choice', values: ['new', 'old'], policy: 'flag' },
          owner: { type: 'reference', table: 'people', policy: 'flag' },
        },
      },
    },
  })

  /** Two devices that wrote `first` and `second` to `field` of a job concurrently. */
  async function setupFlagged(
    field: string,
    first: FieldValue,
    second: FieldValue,
    initial: Record<string, FieldValue> = {},
  ) {
    const open = (user: string) =>
      openDatabase({ schema: flagSchema, storage: new MemoryStorageAdapter(), user })
    const alice = await open('alice')
    const bob = await open('bob')
    await alice.table('jobs').insert(initial, { id: 'j-1' })
    await exchange(alice, bob)
    await alice.table('jobs').update('j-1', { [field]: first })
    await bob.table('jobs').update('j-1', { [field]: second })
    await exchange(alice, bob)
    return { alice, bob }
  }

  const cases: Array<[string, FieldValue, FieldValue]> = [
    ['label', 'red', 'blue'],
    ['hours', 1.5, 2.5],
    ['visits', 1, 2],
    ['approved', true, false],
    ['due', '2024-01-01', '2024-01-02'],
    ['startAt', '2024-01-01T10:00:00.000Z', '2024-01-01T11:00:00.000Z'],
    ['stage', 'new', 'old'],
    ['owner', 'p-1', 'p-2'],
  ]

  it.each(cases)('flag concurrent writes to %s', async (field, first, second) => {
    const { alice } = await setupFlagged(field, first, second)
    const [conflict] = await fieldConflicts(alice)
    expect(conflict?.field).toBe(field)
    expect(conflict?.values.map((value) => value.value)).toEqual(
      expect.arrayContaining([first, second]),
    )
  })

  it.each(cases)(
    'clear the flag of %s when resolved with the value shown',
    async (field, first, second) => {
      const { alice, bob } = await setupFlagged(field, first, second)
      const row: Readonly<Record<string, FieldValue>> | undefined = alice.table('jobs').get('j-1')
      const shown = row?.[field] ?? null
      await alice.resolve('jobs', 'j-1', field, shown)
      await exchange(alice, bob)
      expect(await alice.conflicts()).toEqual([])
      expect(await bob.conflicts()).toEqual([])
    },
  )

  it('flag a value cleared on one device and changed on the other', async () => {
    const { alice, bob } = await setupFlagged('label', 'red', null, { label: 'green' })
    for (const db of [alice, bob]) {
      const [conflict] = await fieldConflicts(db)
      expect(conflict?.values.map((value) => value.value)).toEqual(
        expect.arrayContaining(['red', null]),
      )
    }
  })
})

describe('resolve', () => {
  it('clears the flag on the resolving device', async () => {
    const { alice } = await setupStatusConflict()
    await alice.db.resolve('workOrders', 'wo-1', 'status', 'scheduled')
    expect(await alice.db.conflicts()).toEqual([])
  })

  it('clears the flag on both devices after exchange', async () => {
    const { alice, bob } = await setupStatusConflict()
    await alice.db.resolve('workOrders', 'wo-1', 'status', 'scheduled')
    await exchange(alice.db, bob.db)
    expect(await bob.db.conflicts()).toEqual([])
    expect(bob.workOrders.get('wo-1')?.status).toBe('scheduled')
  })

  it('clears the flag when keeping the value already shown', async () => {
    const { alice, bob } = await setupStatusConflict()
    const shown = alice.workOrders.get('wo-1')?.status ?? null
    await alice.db.resolve('workOrders', 'wo-1', 'status', shown)
    await exchange(alice.db, bob.db)
    expect(await alice.db.conflicts()).toEqual([])
    expect(await bob.db.conflicts()).toEqual([])
  })

  it('clears the flag with a new value', async () => {
    const { alice, bob } = await setupStatusConflict()
    await bob.db.resolve('workOrders', 'wo-1', 'status', 'open')
    await exchange(alice.db, bob.db)
    expect(await alice.db.conflicts()).toEqual([])
    expect(alice.workOrders.get('wo-1')?.status).toBe('open')
  })

  it('returns the row with the chosen value', async () => {
    const { alice } = await setupStatusConflict()
    const row = await alice.db.resolve('workOrders', 'wo-1', 'status', 'open')
    expect(row).toEqual(alice.workOrders.get('wo-1'))
    expect(row.status).toBe('open')
  })

  it('refuses a value that does not fit the field with ValidationError', async () => {
    const { alice } = await setupStatusConflict()
    await expect(
      alice.db.resolve('workOrders', 'wo-1', 'status', 'cancelled'),
    ).rejects.toBeInstanceOf(ValidationError)
  })

  it('keeps the conflict when refusing a value', async () => {
    const { alice } = await setupStatusConflict()
    await alice.db.resolve('workOrders', 'wo-1', 'status', 'cancelled').catch(() => undefined)
    expect(await alice.db.conflicts()).toHaveLength(1)
  })

  it('refuses an unknown field with ValidationError', async () => {
    const { alice } = await setupStatusConflict()
    await expect(alice.db.resolve('workOrders', 'wo-1', 'colour', 'red')).rejects.toBeInstanceOf(
      ValidationError,
    )
  })

  it('refuses a missing row with RowNotFoundError', async () => {
    const { alice } = await setup()
    await expect(alice.db.resolve('workOrders', 'wo-9', 'status', 'open')).rejects.toBeInstanceOf(
      RowNotFoundError,
    )
  })
})

describe('merge fields', () => {
  it('converge without a flag', async () => {
    const { alice, bob } = await setup()
    await alice.workOrders.update('wo-1', { priority: 1 })
    await bob.workOrders.update('wo-1', { priority: 5 })
    await exchange(alice.db, bob.db)
    expect(await alice.db.conflicts()).toEqual([])
    expect(await bob.db.conflicts()).toEqual([])
    expect(alice.workOrders.get('wo-1')?.priority).toBe(bob.workOrders.get('wo-1')?.priority)
  })

  it('keep one of the concurrent values', async () => {
    const { alice, bob } = await setup()
    await alice.workOrders.update('wo-1', { priority: 1 })
    await bob.workOrders.update('wo-1', { priority: 5 })
    await exchange(alice.db, bob.db)
    expect([1, 5]).toContain(alice.workOrders.get('wo-1')?.priority)
  })

  it('keep edits of different fields', async () => {
    const { alice, bob } = await setup()
    await alice.workOrders.update('wo-1', { priority: 1 })
    await bob.workOrders.update('wo-1', { estimate: 2.5 })
    await exchange(alice.db, bob.db)
    expect(alice.workOrders.get('wo-1')).toMatchObject({ priority: 1, estimate: 2.5 })
    expect(bob.workOrders.get('wo-1')).toEqual(alice.workOrders.get('wo-1'))
  })
})

describe('text fields', () => {
  it('merge concurrent edits character by character', async () => {
    const { alice, bob } = await setup()
    await alice.workOrders.update('wo-1', { notes: 'Bring the big wrench.' })
    await bob.workOrders.update('wo-1', { notes: 'Bring the wrench. Call first.' })
    await exchange(alice.db, bob.db)
    expect(alice.workOrders.get('wo-1')?.notes).toBe('Bring the big wrench. Call first.')
    expect(bob.workOrders.get('wo-1')?.notes).toBe('Bring the big wrench. Call first.')
  })

  it('are not flagged', async () => {
    const { alice, bob } = await setup()
    await alice.workOrders.update('wo-1', { notes: 'Bring the big wrench.' })
    await bob.workOrders.update('wo-1', { notes: 'Bring the wrench. Call first.' })
    await exchange(alice.db, bob.db)
    expect(await alice.db.conflicts()).toEqual([])
  })

  it('merge edits to text that was set on both devices first', async () => {
    const { alice, bob } = await setup()
    const notes = alice.db.table('notes')
    await notes.insert({ body: 'one two' }, { id: 'n-1' })
    await exchange(alice.db, bob.db)
    await notes.update('n-1', { body: 'one two three' })
    await bob.db.table('notes').update('n-1', { body: 'zero one two' })
    await exchange(alice.db, bob.db)
    expect(bob.db.table('notes').get('n-1')?.body).toBe('zero one two three')
  })
})

describe('counters', () => {
  it('add up concurrent increments', async () => {
    const { alice, bob } = await setup()
    await alice.workOrders.increment('wo-1', 'partsUsed', 2)
    await bob.workOrders.increment('wo-1', 'partsUsed', 3)
    await exchange(alice.db, bob.db)
    expect(alice.workOrders.get('wo-1')?.partsUsed).toBe(5)
    expect(bob.workOrders.get('wo-1')?.partsUsed).toBe(5)
  })

  it('add up concurrent increments and decrements', async () => {
    const { alice, bob } = await setup()
    await alice.workOrders.increment('wo-1', 'partsUsed', 4)
    await bob.workOrders.increment('wo-1', 'partsUsed', -1)
    await bob.workOrders.increment('wo-1', 'partsUsed', -1)
    await exchange(alice.db, bob.db)
    expect(alice.workOrders.get('wo-1')?.partsUsed).toBe(2)
  })

  it('are not flagged', async () => {
    const { alice, bob } = await setup()
    await alice.workOrders.increment('wo-1', 'partsUsed', 2)
    await bob.workOrders.increment('wo-1', 'partsUsed', 3)
    await exchange(alice.db, bob.db)
    expect(await alice.db.conflicts()).toEqual([])
  })
})

describe('rows created on two devices', () => {
  it('merge into one row when both insert the same id offline', async () => {
    const alice = await openTestDatabase({ user: 'alice', now: () => aliceTime })
    const bob = await openTestDatabase({ user: 'bob', now: () => bobTime })
    await alice.workOrders.insert({ title: 'Fix pump', estimate: 1 }, { id: 'wo-7' })
    await bob.workOrders.insert({ title: 'Fix pump', estimate: 1 }, { id: 'wo-7' })
    await exchange(alice.db, bob.db)
    expect(alice.workOrders.list()).toHaveLength(1)
    expect(alice.workOrders.get('wo-7')).toEqual(bob.workOrders.get('wo-7'))
  })
})

/** Two devices where alice deleted wo-1 while bob changed its title. */
async function setupDeleteConflict() {
  const devices = await setup()
  await devices.alice.workOrders.delete('wo-1')
  await devices.bob.workOrders.update('wo-1', { title: 'Fix pump and valve' })
  await exchange(devices.alice.db, devices.bob.db)
  return devices
}

describe('delete policy flag', () => {
  it('shows a delete conflict on both devices', async () => {
    const { alice, bob } = await setupDeleteConflict()
    for (const db of [alice.db, bob.db]) {
      expect(await db.conflicts()).toEqual([
        expect.objectContaining({ kind: 'delete', table: 'workOrders', id: 'wo-1' }),
      ])
    }
  })

  it('names the writer and fields of the concurrent edit', async () => {
    const { alice, bob } = await setupDeleteConflict()
    const [conflict] = (await alice.db.conflicts()) as DeleteConflict[]
    expect(conflict?.edits).toEqual([
      { user: 'bob', device: bob.db.device, time: bobTime, fields: ['title'] },
    ])
  })

  it('shows the row values with the edit', async () => {
    const { alice } = await setupDeleteConflict()
    const [conflict] = (await alice.db.conflicts()) as DeleteConflict[]
    expect(conflict?.values).toMatchObject({ title: 'Fix pump and valve', priority: 3 })
  })

  it('shows the same conflict on both devices', async () => {
    const { alice, bob } = await setupDeleteConflict()
    expect(await alice.db.conflicts()).toEqual(await bob.db.conflicts())
  })

  it('keeps the row out of reads until resolved', async () => {
    const { alice, bob } = await setupDeleteConflict()
    expect(alice.workOrders.get('wo-1')).toBeUndefined()
    expect(bob.workOrders.get('wo-1')).toBeUndefined()
  })

  it('names the counter of a concurrent increment', async () => {
    const { alice, bob } = await setup()
    await alice.workOrders.delete('wo-1')
    await bob.workOrders.increment('wo-1', 'partsUsed', 2)
    await exchange(alice.db, bob.db)
    const [conflict] = (await alice.db.conflicts()) as DeleteConflict[]
    expect(conflict?.edits.map((edit) => edit.fields)).toEqual([['partsUsed']])
  })

  it('is not a conflict when the edit came before the delete', async () => {
    const { alice, bob } = await setup()
    await bob.workOrders.update('wo-1', { title: 'Fix pump and valve' })
    await exchange(alice.db, bob.db)
    await alice.workOrders.delete('wo-1')
    await exchange(alice.db, bob.db)
    expect(await alice.db.conflicts()).toEqual([])
    expect(await bob.db.conflicts()).toEqual([])
  })

  it('restore brings the row back with the edit on both devices', async () => {
    const { alice, bob } = await setupDeleteConflict()
    await alice.db.resolveDelete('workOrders', 'wo-1', 'restore')
    await exchange(alice.db, bob.db)
    expect(alice.workOrders.get('wo-1')?.title).toBe('Fix pump and valve')
    expect(bob.workOrders.get('wo-1')?.title).toBe('Fix pump and valve')
  })

  it('restore clears the conflict on both devices', async () => {
    const { alice, bob } = await setupDeleteConflict()
    await bob.db.resolveDelete('workOrders', 'wo-1', 'restore')
    await exchange(alice.db, bob.db)
    expect(await alice.db.conflicts()).toEqual([])
    expect(await bob.db.conflicts()).toEqual([])
  })

  it('delete keeps the row deleted on both devices', async () => {
    const { alice, bob } = await setupDeleteConflict()
    await bob.db.resolveDelete('workOrders', 'wo-1', 'delete')
    await exchange(alice.db, bob.db)
    expect(alice.workOrders.get('wo-1')).toBeUndefined()
    expect(bob.workOrders.get('wo-1')).toBeUndefined()
  })

  it('delete clears the conflict on both devices', async () => {
    const { alice, bob } = await setupDeleteConflict()
    await alice.db.resolveDelete('workOrders', 'wo-1', 'delete')
    await exchange(alice.db, bob.db)
    expect(await alice.db.conflicts()).toEqual([])
    expect(await bob.db.conflicts()).toEqual([])
  })

  it('refuses to resolve a missing row with RowNotFoundError', async () => {
    const { alice } = await setup()
    await expect(alice.db.resolveDelete('workOrders', 'wo-9', 'restore')).rejects.toBeInstanceOf(
      RowNotFoundError,
    )
  })

  it('survives close and reopen', async () => {
    const { alice } = await setupDeleteConflict()
    const conflicts = await alice.db.conflicts()
    await alice.db.close()
    const reopened = await openTestDatabase({ storage: alice.storage })
    expect(await reopened.db.conflicts()).toEqual(conflicts)
  })
})

describe('delete policy delete-wins', () => {
  async function setupDeleteWins() {
    const devices = await setup()
    await devices.alice.db.table('customers').delete('c-1')
    await devices.bob.db.table('customers').update('c-1', { name: 'Acme Ltd' })
    await exchange(devices.alice.db, devices.bob.db)
    return devices
  }

  it('ends deleted on both devices', async () => {
    const { alice, bob } = await setupDeleteWins()
    expect(alice.db.table('customers').get('c-1')).toBeUndefined()
    expect(bob.db.table('customers').get('c-1')).toBeUndefined()
  })

  it('shows no conflict', async () => {
    const { alice, bob } = await setupDeleteWins()
    expect(await alice.db.conflicts()).toEqual([])
    expect(await bob.db.conflicts()).toEqual([])
  })

  it('keeps the edit in the history', async () => {
    const { alice } = await setupDeleteWins()
    const history = await alice.db.history('customers', 'c-1')
    expect(history).toContainEqual(
      expect.objectContaining({
        user: 'bob',
        kind: 'update',
        fields: [{ field: 'name', from: 'Acme', to: 'Acme Ltd' }],
      }),
    )
  })
})

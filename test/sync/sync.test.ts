import { ManualLifecycleSource } from '@rowsync/policies'
import { defineSchema, relayPaths } from '@rowsync/schema'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ada,
  dana,
  relayConfig,
  startTestRelay,
  tina,
  tom,
} from '../../packages/relay/test/testRelay.ts'
import { countRequests, openDevice, settled, statusWhere, until, type Device } from './devices.ts'

// Devices of several users sync through a real relay on loopback: real HTTP, real WebSocket,
// real LMDB on both sides.

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('sync through the relay', () => {
  it('brings a change from one device to the other while both are live', async () => {
    const relay = await startTestRelay(cleanups)
    const phone = await openDevice(cleanups, relay, dana)
    const laptop = await openDevice(cleanups, relay, dana)
    await Promise.all([settled(phone), settled(laptop)])

    const workOrders = phone.database.table('workOrders')
    await workOrders.insert({ title: 'Replace filter', technician: 'tom' }, { id: 'wo-1' })
    const remote = laptop.database.table('workOrders')
    await until(laptop.database, () => remote.get('wo-1') !== undefined)
    expect(remote.get('wo-1')).toMatchObject({ title: 'Replace filter', technician: 'tom' })

    await remote.update('wo-1', { priority: 1 })
    await until(phone.database, () => workOrders.get('wo-1')?.priority === 1)
    await Promise.all([settled(phone), settled(laptop)])
    expect(phone.database.heads(phone.database.documentIds()[0]!)).toEqual(
      laptop.database.heads(laptop.database.documentIds()[0]!),
    )
  })

  it('merges and flags edits made offline on two devices once they reconnect', async () => {
    const relay = await startTestRelay(cleanups)
    const lifecycles = [0, 1].map(
      () =>
        new ManualLifecycleSource({
          platform: 'android',
          app: 'foreground',
          screenLocked: false,
          online: true,
        }),
    )
    const [a, b] = await Promise.all(
      lifecycles.map((lifecycle) => openDevice(cleanups, relay, dana, { lifecycle })),
    )
    await a!.database
      .table('workOrders')
      .insert({ title: 'Boiler', status: 'open', description: 'Check' }, { id: 'wo-2' })
    await until(b!.database, () => b!.database.table('workOrders').get('wo-2') !== undefined)
    await Promise.all([settled(a!), settled(b!)])

    for (const lifecycle of lifecycles) lifecycle.update({ online: false })
    await a!.database.table('workOrders').update('wo-2', { status: 'scheduled' })
    await b!.database.table('workOrders').update('wo-2', { status: 'in-progress' })
    await a!.database.table('workOrders').increment('wo-2', 'partsUsed', 2)
    await b!.database.table('workOrders').increment('wo-2', 'partsUsed', 3)
    expect(a!.sync.status.pendingUpload).toBe(1)
    expect(a!.sync.status.heldBack).toMatch(/offline|network|connection/i)

    for (const lifecycle of lifecycles) lifecycle.update({ online: true })
    const agreed = () =>
      a!.database.heads(a!.database.documentIds()[0]!)?.join() ===
        b!.database.heads(b!.database.documentIds()[0]!)?.join() &&
      a!.database.heads(a!.database.documentIds()[0]!)?.length === 2
    await until([a!.database, b!.database], agreed)
    for (const device of [a!, b!]) {
      expect(device.database.table('workOrders').get('wo-2')?.partsUsed).toBe(5)
      const conflicts = await device.database.conflicts('workOrders')
      expect(conflicts).toHaveLength(1)
      expect(conflicts[0]).toMatchObject({ kind: 'field', field: 'status' })
    }
  })

  it('downloads the whole profile into a fresh device, with progress, and only the rows the user may read', async () => {
    const relay = await startTestRelay(cleanups)
    const dispatcher = await openDevice(cleanups, relay, dana)
    const workOrders = dispatcher.database.table('workOrders')
    for (let index = 0; index < 300; index++) {
      await workOrders.insert({
        title: `Job ${index}`,
        technician: index % 3 === 0 ? 'tom' : 'tina',
      })
    }
    await dispatcher.database.table('customers').insert({ name: 'ACME' })
    await settled(dispatcher)

    const technician = await openDevice(cleanups, relay, tom)
    const progress: number[] = []
    let tables = {}
    technician.sync.subscribe((status) => {
      if (status.progress?.phase !== 'download') return
      progress.push(status.progress.rows)
      tables = status.progress.tables
    })
    await settled(technician)
    const mine = technician.database.table('workOrders').list()
    expect(mine).toHaveLength(100)
    expect(mine.every((row) => row.technician === 'tom')).toBe(true)
    expect(technician.database.table('customers').list()).toHaveLength(1)
    expect(progress.at(-1)).toBe(101)
    expect(tables).toEqual({
      workOrders: { rows: 100, totalRows: 100 },
      customers: { rows: 1, totalRows: 1 },
    })
    expect(progress).toEqual([...progress].sort((x, y) => x - y))
  })

  it('catches up after being offline by fetching only the rows that changed', async () => {
    const relay = await startTestRelay(cleanups)
    const office = await openDevice(cleanups, relay, dana)
    const table = office.database.table('workOrders')
    for (let index = 0; index < 200; index++)
      await table.insert({ title: `Job ${index}` }, { id: `job-${index}` })
    await settled(office)

    const field = await openDevice(cleanups, relay, dana)
    await settled(field)
    expect(field.database.table('workOrders').list()).toHaveLength(200)
    await field.close()

    for (let index = 0; index < 10; index++) await table.update(`job-${index}`, { priority: 1 })
    await settled(office)

    const requests = countRequests(cleanups)
    const back = await openDevice(cleanups, relay, dana, { directory: field.directory })
    const caughtUp: number[] = []
    back.sync.subscribe((status) => {
      if (status.progress?.phase === 'catch-up') caughtUp.push(status.progress.totalRows)
    })
    await settled(back)
    const rows = back.database.table('workOrders')
    await until(back.database, () => rows.query({ where: { priority: 1 } }).length === 10)
    expect(Math.max(...caughtUp)).toBe(10)
    // One feed page and one request for the ten changed rows, whatever the device holds.
    expect(requests.get(relayPaths.snapshot)).toBeUndefined()
    expect(requests.get(relayPaths.feed)).toBe(1)
    expect(requests.get(relayPaths.documents)).toBe(1)
  })

  it('uploads rows written with no relay reachable once it is, and survives a relay restart', async () => {
    const relay = await startTestRelay(cleanups)
    const device = await openDevice(cleanups, relay, dana, { relayUrl: 'http://127.0.0.1:9' })
    for (let index = 0; index < 50; index++) {
      await device.database.table('customers').insert({ name: `Customer ${index}` })
    }
    await statusWhere(device.sync, (status) => status.state === 'error')
    expect(device.sync.status.pendingUpload).toBe(50)
    expect(device.sync.status.lastError).toMatch(/unreachable|connect/)
    expect(device.database.table('customers').list()).toHaveLength(50)

    // The same storage, now pointed at the reachable relay: the outbox goes up.
    await device.close()
    const online = await openDevice(cleanups, relay, dana, { directory: device.directory })
    await settled(online)
    const auditor = await openDevice(cleanups, relay, ada)
    await until(auditor.database, () => auditor.database.table('customers').list().length === 50)

    await relay.relay.close()
    const restarted = await startTestRelay(cleanups, relay.directory)
    const again = await openDevice(cleanups, restarted, dana, { directory: device.directory })
    await settled(again)
    expect(again.database.table('customers').list()).toHaveLength(50)
  })

  it('reports a change the relay refuses, keeps it until discarded, then returns to the relay state', async () => {
    const relay = await startTestRelay(cleanups)
    const dispatcher = await openDevice(cleanups, relay, dana)
    await dispatcher.database.table('customers').insert({ name: 'ACME' }, { id: 'acme' })
    await settled(dispatcher)

    const auditor = await openDevice(cleanups, relay, ada)
    const customers = auditor.database.table('customers')
    await until(auditor.database, () => customers.get('acme') !== undefined)
    await customers.update('acme', { name: 'Hacked' })
    const refused = await statusWhere(auditor.sync, (status) => status.errors.length === 1)
    expect(refused.errors[0]).toMatchObject({ table: 'customers', id: 'acme' })
    expect(refused.errors[0]!.reason).toMatch(/may not/)
    expect(refused.pendingUpload).toBe(0)
    expect(customers.get('acme')?.name).toBe('Hacked')
    expect(dispatcher.database.table('customers').get('acme')?.name).toBe('ACME')

    await auditor.sync.discard(refused.errors[0]!.documentId)
    await until(auditor.database, () => customers.get('acme')?.name === 'ACME')
    expect(auditor.sync.status.errors).toEqual([])
  })

  it('reports a change that breaks the relay schema and keeps other changes flowing', async () => {
    const relay = await startTestRelay(cleanups)
    // A modified client whose schema allows a status the relay's does not.
    const definition = relayConfig().schema.definition
    const workOrders = definition.tables.workOrders!
    const modified = defineSchema({
      ...definition,
      tables: {
        ...definition.tables,
        workOrders: {
          ...workOrders,
          fields: {
            ...workOrders.fields,
            status: { type: 'choice', values: ['open', 'cancelled'], default: 'open' },
          },
        },
      },
    })
    const device = await openDevice(cleanups, relay, dana, { schema: modified })
    const observer = await openDevice(cleanups, relay, dana)
    await device.database.table('workOrders').insert({ title: 'Odd', status: 'cancelled' })
    const refused = await statusWhere(device.sync, (status) => status.errors.length === 1)
    expect(refused.errors[0]!.reason).toMatch(/status/)

    await device.database.table('customers').insert({ name: 'Still flows' }, { id: 'flows' })
    const customers = observer.database.table('customers')
    await until(observer.database, () => customers.get('flows') !== undefined)
    expect(observer.database.table('workOrders').count()).toBe(0)
    expect(device.sync.status.errors).toHaveLength(1)
  })

  it('removes a row from a device when it leaves the user scope', async () => {
    const relay = await startTestRelay(cleanups)
    const dispatcher = await openDevice(cleanups, relay, dana)
    await dispatcher.database
      .table('workOrders')
      .insert({ title: 'Roof', technician: 'tom' }, { id: 'roof' })
    await settled(dispatcher)
    const technician = await openDevice(cleanups, relay, tom)
    const rows = technician.database.table('workOrders')
    await until(technician.database, () => rows.get('roof') !== undefined)

    await dispatcher.database.table('workOrders').update('roof', { technician: 'tina' })
    await settled(dispatcher)
    await technician.sync.syncNow()
    expect(rows.get('roof')).toBeUndefined()

    const other = await openDevice(cleanups, relay, tina)
    await until(other.database, () => other.database.table('workOrders').get('roof') !== undefined)
  })

  it('holds sync back while the lifecycle says so and says why', async () => {
    const relay = await startTestRelay(cleanups)
    const lifecycle = new ManualLifecycleSource({
      platform: 'ios',
      app: 'background',
      screenLocked: false,
      online: true,
    })
    const device = await openDevice(cleanups, relay, dana, { lifecycle })
    await device.database.table('customers').insert({ name: 'Held' })
    await device.sync.syncNow()
    expect(device.sync.status.state).toBe('not-connected')
    expect(device.sync.status.pendingUpload).toBe(1)
    expect(device.sync.status.heldBack).toMatch(/background/i)

    lifecycle.update({ app: 'foreground' })
    await settled(device)
    expect(device.sync.status.heldBack).toBeUndefined()
  })

  it('asks for a fresh token when the relay refuses the current one', async () => {
    const relay = await startTestRelay(cleanups)
    let calls = 0
    const device = await openDevice(cleanups, relay, dana, {
      token: async () => (calls++ === 0 ? 'expired.or.forged' : relay.tokenOf(dana)),
    })
    await device.database.table('customers').insert({ name: 'Token' })
    await settled(device)
    expect(calls).toBeGreaterThanOrEqual(2)
  })

  it.each([
    [0, 1, 2],
    [2, 1, 0],
    [1, 2, 0],
  ])(
    'converges three devices of two users edited offline, reconnecting in the order %i %i %i',
    async (...order) => {
      const relay = await startTestRelay(cleanups)
      const lifecycles = [0, 1, 2].map(
        () =>
          new ManualLifecycleSource({
            platform: 'android',
            app: 'foreground',
            screenLocked: false,
            online: true,
          }),
      )
      const devices = await Promise.all(
        [dana, dana, tom].map((user, index) =>
          openDevice(cleanups, relay, user, { lifecycle: lifecycles[index]! }),
        ),
      )
      const [office, tablet, phone] = devices as [Device, Device, Device]
      await office.database
        .table('workOrders')
        .insert({ title: 'Chiller', technician: 'tom', description: 'Noise' }, { id: 'chiller' })
      await Promise.all(
        devices.map((device) =>
          until(
            device.database,
            () => device.database.table('workOrders').get('chiller') !== undefined,
          ),
        ),
      )
      await Promise.all(devices.map((device) => settled(device)))

      for (const lifecycle of lifecycles) lifecycle.update({ online: false })
      await office.database
        .table('workOrders')
        .update('chiller', { status: 'scheduled', priority: 1 })
      await tablet.database.table('workOrders').update('chiller', { status: 'done' })
      await phone.database
        .table('workOrders')
        .update('chiller', { status: 'in-progress', priority: 2 })
      await phone.database.table('workOrders').increment('chiller', 'partsUsed', 4)
      await tablet.database.table('workOrders').delete('chiller')

      for (const index of order) {
        lifecycles[index]!.update({ online: true })
        await settled(devices[index]!)
      }
      const documentId = office.database.documentIds()[0]!
      const state = async (device: Device) => ({
        heads: [...(device.database.heads(documentId) ?? [])].sort(),
        conflicts: await device.database.conflicts(),
        history: (await device.database.history('workOrders', 'chiller')).length,
      })
      const converged = async () => {
        const states = await Promise.all(devices.map(state))
        return states.every((each) => JSON.stringify(each) === JSON.stringify(states[0]))
      }
      while (!(await converged())) await new Promise((resolve) => setTimeout(resolve, 20))
      const conflicts = await office.database.conflicts()
      expect(conflicts.length).toBeGreaterThan(0)

      // The delete-vs-edit conflict is resolved on the phone; it clears everywhere.
      await phone.database.resolveDelete('workOrders', 'chiller', 'restore')
      for (const conflict of await phone.database.conflicts()) {
        if (conflict.kind === 'field') {
          await phone.database.resolve('workOrders', 'chiller', conflict.field, 'done')
        }
      }
      for (const device of devices) {
        await until(
          device.database,
          () => device.database.table('workOrders').get('chiller')?.status === 'done',
        )
      }
      while (!(await converged())) await new Promise((resolve) => setTimeout(resolve, 20))
      expect(await office.database.conflicts()).toEqual([])
      expect(office.database.table('workOrders').get('chiller')).toMatchObject({
        status: 'done',
        partsUsed: 4,
      })
    },
  )
})

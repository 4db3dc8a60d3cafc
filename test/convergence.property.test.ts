import { exchange } from '@rowsync/client/testing'
import {
  MemoryStorageAdapter,
  openDatabase,
  RowExistsError,
  RowNotFoundError,
  type Database,
} from '@rowsync/client'
import {
  defineSchema,
  rowDocumentId,
  toRowId,
  type Conflict,
  type FieldValue,
} from '@rowsync/schema'
import fc from 'fast-check'
import { expect, it } from 'vitest'

// Convergence of 3 to 5 devices under random inserts, updates, increments, deletes, resolves,
// pairwise exchanges (partitions are the pairs that never exchange) and restarts. After a full
// exchange every device must hold identical rows and flags, and every flagged field must be
// exactly a field written concurrently with different values. A failure prints fast-check's
// seed and path; pass them to fc.assert to replay.

const schema = defineSchema({
  database: 'convergence',
  tables: {
    tasks: {
      deletePolicy: 'flag',
      fields: {
        owner: { type: 'string', policy: 'flag' },
        state: { type: 'choice', values: ['new', 'busy', 'done'], policy: 'flag' },
        size: { type: 'integer' },
        body: { type: 'text' },
        visits: { type: 'counter' },
      },
    },
    parts: {
      fields: {
        label: { type: 'string', policy: 'flag' },
        price: { type: 'number' },
      },
    },
  },
})

type TableName = 'tasks' | 'parts'
const rowIds = ['r1', 'r2', 'r3']
const flagFields: Record<TableName, string[]> = { tasks: ['owner', 'state'], parts: ['label'] }

const valueArbitraries: Record<string, fc.Arbitrary<FieldValue>> = {
  owner: fc.constantFrom('ann', 'bo', null),
  state: fc.constantFrom('new', 'busy', 'done'),
  size: fc.integer({ min: 0, max: 3 }),
  body: fc.constantFrom('', 'pump', 'pump valve', 'valve'),
  label: fc.constantFrom('bolt', 'nut', null),
  price: fc.constantFrom(1.5, 2, null),
}
const fieldsOf: Record<TableName, string[]> = {
  tasks: ['owner', 'state', 'size', 'body'],
  parts: ['label', 'price'],
}

const target = {
  table: fc.constantFrom<TableName>('tasks', 'parts'),
  row: fc.constantFrom(...rowIds),
}
const valuesFor = (table: TableName) =>
  fc.record(Object.fromEntries(fieldsOf[table].map((field) => [field, valueArbitraries[field]!])), {
    requiredKeys: [],
  })

type Operation =
  | {
      type: 'insert' | 'update'
      device: number
      table: TableName
      row: string
      values: Partial<Record<string, FieldValue>>
    }
  | { type: 'increment'; device: number; row: string; by: number }
  | { type: 'delete'; device: number; table: TableName; row: string }
  | { type: 'resolve'; device: number; pick: number }
  | { type: 'exchange'; device: number; other: number }
  | { type: 'restart'; device: number }

const operation = (devices: number): fc.Arbitrary<Operation> => {
  const device = fc.integer({ min: 0, max: devices - 1 })
  const write = (type: 'insert' | 'update') =>
    fc.record(target).chain(({ table, row }) =>
      fc.record({
        type: fc.constant(type),
        device,
        table: fc.constant(table),
        row: fc.constant(row),
        values: valuesFor(table),
      }),
    )
  return fc.oneof(
    { weight: 3, arbitrary: write('insert') },
    { weight: 4, arbitrary: write('update') },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constant('increment' as const),
        device,
        row: fc.constantFrom(...rowIds),
        by: fc.integer({ min: -2, max: 3 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ type: fc.constant('delete' as const), device, ...target }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ type: fc.constant('resolve' as const), device, pick: fc.nat(3) }),
    },
    {
      weight: 3,
      arbitrary: fc.record({ type: fc.constant('exchange' as const), device, other: device }),
    },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('restart' as const), device }) },
  )
}

/** A field write as the model sees it: which writes its author had seen before it. */
interface Write {
  readonly hash: string
  readonly value: FieldValue
  readonly seenBefore: ReadonlySet<string>
}

interface Device {
  db: Database<typeof schema.definition>
  readonly storage: MemoryStorageAdapter
  /** Hashes of the changes this device holds. */
  seen: Set<string>
}

const documentIdOf = (table: TableName, row: string) =>
  rowDocumentId(schema.database, table, toRowId(row))

async function open(user: string, storage: MemoryStorageAdapter) {
  return openDatabase({ schema, storage, user })
}

/** Runs one local write and records every field it wrote, as its history reports. */
async function recordWrite(
  device: Device,
  table: TableName,
  row: string,
  writes: Map<string, Write[]>,
  run: () => Promise<unknown>,
): Promise<void> {
  const documentId = documentIdOf(table, row)
  const before = device.db.heads(documentId)?.join()
  try {
    await run()
  } catch (error) {
    if (error instanceof RowExistsError || error instanceof RowNotFoundError) return
    throw error
  }
  if (device.db.heads(documentId)?.join() === before) return
  const history = await device.db.history(table, row)
  const event = history.at(-1)!
  const seenBefore = new Set(device.seen)
  for (const change of history) device.seen.add(change.hash)
  for (const { field, to } of event.fields) {
    const key = `${table}/${row}/${field}`
    writes.set(key, [...(writes.get(key) ?? []), { hash: event.hash, value: to, seenBefore }])
  }
}

async function apply(
  devices: Device[],
  op: Operation,
  writes: Map<string, Write[]>,
): Promise<void> {
  const device = devices[op.device]!
  switch (op.type) {
    case 'insert':
      return recordWrite(device, op.table, op.row, writes, () =>
        device.db.table(op.table).insert(op.values, { id: op.row }),
      )
    case 'update':
      return recordWrite(device, op.table, op.row, writes, () =>
        device.db.table(op.table).update(op.row, op.values),
      )
    case 'increment':
      return recordWrite(device, 'tasks', op.row, writes, () =>
        device.db.table('tasks').increment(op.row, 'visits', op.by),
      )
    case 'delete':
      return recordWrite(device, op.table, op.row, writes, () =>
        device.db.table(op.table).delete(op.row),
      )
    case 'resolve': {
      const conflicts = await device.db.conflicts()
      const conflict = conflicts[op.pick % Math.max(conflicts.length, 1)]
      if (!conflict) return
      const table = conflict.table as TableName
      if (conflict.kind === 'delete') {
        const resolution = op.pick % 2 === 0 ? 'restore' : 'delete'
        return recordWrite(device, table, conflict.id, writes, () =>
          device.db.resolveDelete(table, conflict.id, resolution),
        )
      }
      const choice = conflict.values[op.pick % conflict.values.length]!
      return recordWrite(device, table, conflict.id, writes, () =>
        device.db.resolve(table, conflict.id, conflict.field, choice.value),
      )
    }
    case 'exchange': {
      const other = devices[op.other]!
      if (other === device) return
      await exchange(device.db, other.db)
      const seen = new Set([...device.seen, ...other.seen])
      device.seen = seen
      other.seen = new Set(seen)
      return
    }
    case 'restart':
      await device.db.close()
      device.db = await open(device.db.user, device.storage)
      return
  }
}

/** The distinct values of the writes to one field that no later write has seen. */
function concurrentValues(fieldWrites: readonly Write[]): Set<string> {
  const latest = fieldWrites.filter(
    (write) => !fieldWrites.some((other) => other.seenBefore.has(write.hash)),
  )
  return new Set(latest.map((write) => JSON.stringify(write.value)))
}

function snapshot(db: Database<typeof schema.definition>) {
  return { tasks: db.table('tasks').list(), parts: db.table('parts').list() }
}

const runs = process.env.CI ? 1000 : 100

it('devices converge to identical rows and flags, flagging exactly the concurrent writes', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc
        .integer({ min: 3, max: 5 })
        .chain((count) =>
          fc.tuple(fc.constant(count), fc.array(operation(count), { minLength: 1, maxLength: 40 })),
        ),
      async ([count, operations]) => {
        const devices: Device[] = []
        for (let index = 0; index < count; index++) {
          const storage = new MemoryStorageAdapter()
          devices.push({ db: await open(`user${index}`, storage), storage, seen: new Set() })
        }
        const writes = new Map<string, Write[]>()
        for (const op of operations) await apply(devices, op, writes)
        // Full exchange: along the chain gathers every change at the end, back spreads them.
        const chain = devices.map((_, index) => index)
        for (const index of [...chain.slice(1), ...chain.slice(1).reverse()]) {
          await apply(devices, { type: 'exchange', device: index - 1, other: index }, writes)
        }
        const first = devices[0]!.db
        const expectedRows = snapshot(first)
        const expectedConflicts: Conflict[] = await first.conflicts()
        for (const device of devices) {
          expect(snapshot(device.db)).toEqual(expectedRows)
          expect(await device.db.conflicts()).toEqual(expectedConflicts)
        }
        for (const table of ['tasks', 'parts'] as const) {
          for (const row of first.table(table).list()) {
            for (const field of flagFields[table]) {
              const expected = concurrentValues(writes.get(`${table}/${row.id}/${field}`) ?? [])
              const conflict = expectedConflicts.find(
                (c) =>
                  c.kind === 'field' && c.table === table && c.id === row.id && c.field === field,
              )
              const flagged =
                conflict?.kind === 'field'
                  ? conflict.values.map((v) => JSON.stringify(v.value))
                  : []
              expect(new Set(flagged)).toEqual(expected.size > 1 ? expected : new Set())
            }
          }
        }
        for (const device of devices) await device.db.close()
      },
    ),
    { numRuns: runs },
  )
})

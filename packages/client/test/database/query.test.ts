import { describe, expect, it } from 'vitest'
import type { Query } from '../../src/query/Query.ts'
import type { Table } from '../../src/Table.ts'
import { openTestDatabase } from '../fixtures.ts'

/** Five work orders with varied values, nulls included, inserted out of id order. */
async function setup() {
  const { db, workOrders } = await openTestDatabase()
  await workOrders.insert(
    { title: 'Replace Pump', priority: 2, estimate: 1.5, status: 'open', due: '2024-03-01' },
    { id: 'wo-3' },
  )
  await workOrders.insert(
    { title: 'Inspect valve', priority: 1, estimate: null, status: 'done', due: '2024-01-15' },
    { id: 'wo-1' },
  )
  await workOrders.insert(
    { title: 'pump check', priority: 2, estimate: 4, status: 'scheduled', due: null },
    { id: 'wo-5' },
  )
  await workOrders.insert(
    { title: 'Paint fence', priority: null, estimate: 3, status: 'open', due: '2024-02-01' },
    { id: 'wo-2' },
  )
  await workOrders.insert(
    { title: 'Fix leak', priority: 3, estimate: 0.5, urgent: true, due: '2024-02-01' },
    { id: 'wo-4' },
  )
  const untyped = workOrders as unknown as Table
  return { db, workOrders, untyped }
}

function ids(rows: ReadonlyArray<{ id: string }>): string[] {
  return rows.map((row) => row.id)
}

describe('Table.get and list', () => {
  it('gives undefined for an unknown id', async () => {
    const { workOrders } = await setup()
    expect(workOrders.get('wo-9')).toBeUndefined()
  })

  it('gives the same row object until the row changes', async () => {
    const { workOrders } = await setup()
    expect(workOrders.get('wo-1')).toBe(workOrders.get('wo-1'))
  })

  it('lists every row sorted by id', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.list())).toEqual(['wo-1', 'wo-2', 'wo-3', 'wo-4', 'wo-5'])
  })

  it('returns the same rows from an empty query as from list', async () => {
    const { workOrders } = await setup()
    expect(workOrders.query({})).toEqual(workOrders.list())
  })
})

describe('Table.query: where', () => {
  it('matches a bare value by equality', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ where: { status: 'open' } }))).toEqual(['wo-2', 'wo-3', 'wo-4'])
  })

  it('matches a bare null to rows without a value', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ where: { estimate: null } }))).toEqual(['wo-1'])
  })

  it('requires every field of the filter to match', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ where: { status: 'open', priority: 2 } }))).toEqual(['wo-3'])
  })

  it('matches eq', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ where: { priority: { eq: 2 } } }))).toEqual(['wo-3', 'wo-5'])
  })

  it('matches ne, rows without a value included', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ where: { priority: { ne: 2 } } }))).toEqual([
      'wo-1',
      'wo-2',
      'wo-4',
    ])
  })

  it('matches lt, never rows without a value', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ where: { priority: { lt: 2 } } }))).toEqual(['wo-1'])
  })

  it('matches lte', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ where: { priority: { lte: 2 } } }))).toEqual([
      'wo-1',
      'wo-3',
      'wo-5',
    ])
  })

  it('matches gt', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ where: { estimate: { gt: 1.5 } } }))).toEqual(['wo-2', 'wo-5'])
  })

  it('matches gte', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ where: { estimate: { gte: 1.5 } } }))).toEqual([
      'wo-2',
      'wo-3',
      'wo-5',
    ])
  })

  it('compares dates as strings in calendar order', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ where: { due: { gte: '2024-02-01' } } }))).toEqual([
      'wo-2',
      'wo-3',
      'wo-4',
    ])
  })

  it('matches a range given by two operators', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ where: { estimate: { gt: 0.5, lt: 4 } } }))).toEqual([
      'wo-2',
      'wo-3',
    ])
  })

  it('matches in', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ where: { status: { in: ['done', 'scheduled'] } } }))).toEqual([
      'wo-1',
      'wo-5',
    ])
  })

  it('matches in with null to rows without a value', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ where: { priority: { in: [1, null] } } }))).toEqual([
      'wo-1',
      'wo-2',
    ])
  })

  it('matches nothing with an empty in list', async () => {
    const { workOrders } = await setup()
    expect(workOrders.query({ where: { status: { in: [] } } })).toEqual([])
  })

  it('matches contains without regard to case', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ where: { title: { contains: 'PUMP' } } }))).toEqual([
      'wo-3',
      'wo-5',
    ])
  })

  it('matches contains only on string values', async () => {
    const { workOrders } = await setup()
    expect(workOrders.query({ where: { priority: { contains: '2' } } })).toEqual([])
  })

  it('matches the id by equality', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ where: { id: 'wo-4' } }))).toEqual(['wo-4'])
  })

  it('matches the id with operators', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ where: { id: { gt: 'wo-2', in: ['wo-1', 'wo-3'] } } }))).toEqual([
      'wo-3',
    ])
  })
})

describe('Table.query: orderBy', () => {
  it('sorts by a field ascending', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ orderBy: 'estimate' }))).toEqual([
      'wo-4',
      'wo-3',
      'wo-2',
      'wo-5',
      'wo-1',
    ])
  })

  it('sorts by a field descending with nulls still last', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ orderBy: { field: 'estimate', direction: 'desc' } }))).toEqual([
      'wo-5',
      'wo-2',
      'wo-3',
      'wo-4',
      'wo-1',
    ])
  })

  it('sorts nulls last ascending', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ orderBy: 'due' })).at(-1)).toBe('wo-5')
  })

  it('breaks ties by id', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ orderBy: { field: 'priority', direction: 'desc' } }))).toEqual([
      'wo-4',
      'wo-3',
      'wo-5',
      'wo-1',
      'wo-2',
    ])
  })

  it('sorts by several keys with their own directions', async () => {
    const { workOrders } = await setup()
    expect(
      ids(
        workOrders.query({
          orderBy: ['due', { field: 'priority', direction: 'desc' }],
        }),
      ),
    ).toEqual(['wo-1', 'wo-4', 'wo-2', 'wo-3', 'wo-5'])
  })

  it('sorts by the id descending', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ orderBy: { field: 'id', direction: 'desc' } }))).toEqual([
      'wo-5',
      'wo-4',
      'wo-3',
      'wo-2',
      'wo-1',
    ])
  })

  it('sorts text by code unit, capitals first', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ orderBy: 'title' }))).toEqual([
      'wo-4',
      'wo-1',
      'wo-2',
      'wo-3',
      'wo-5',
    ])
  })

  it('filters before sorting', async () => {
    const { workOrders } = await setup()
    expect(
      ids(
        workOrders.query({
          where: { status: 'open' },
          orderBy: { field: 'estimate', direction: 'desc' },
        }),
      ),
    ).toEqual(['wo-2', 'wo-3', 'wo-4'])
  })
})

describe('Table.query: limit and offset', () => {
  it('returns at most limit rows', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ limit: 2 }))).toEqual(['wo-1', 'wo-2'])
  })

  it('skips offset rows after sorting', async () => {
    const { workOrders } = await setup()
    expect(ids(workOrders.query({ orderBy: 'estimate', offset: 3 }))).toEqual(['wo-5', 'wo-1'])
  })

  it('returns nothing with limit 0', async () => {
    const { workOrders } = await setup()
    expect(workOrders.query({ limit: 0 })).toEqual([])
  })

  it('returns nothing with an offset past the end', async () => {
    const { workOrders } = await setup()
    expect(workOrders.query({ offset: 10 })).toEqual([])
  })

  it('pages through every row once, with no overlap', async () => {
    const { workOrders } = await setup()
    const pages = [0, 2, 4].map((offset) =>
      ids(workOrders.query({ orderBy: 'priority', limit: 2, offset })),
    )
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1])
    expect(pages.flat()).toEqual(ids(workOrders.query({ orderBy: 'priority' })))
  })
})

describe('Table.query: malformed queries', () => {
  function expectTypeErrorNaming(query: () => unknown, name: string): void {
    expect(query).toThrow(TypeError)
    expect(query).toThrow(new RegExp(name))
  }

  it('refuses an unknown field in where', async () => {
    const { untyped } = await setup()
    expectTypeErrorNaming(() => untyped.query({ where: { colour: 'red' } }), 'colour')
  })

  it('refuses an unknown field in orderBy', async () => {
    const { untyped } = await setup()
    expectTypeErrorNaming(() => untyped.query({ orderBy: 'colour' }), 'colour')
  })

  it('refuses an unknown field in an orderBy object', async () => {
    const { untyped } = await setup()
    expectTypeErrorNaming(() => untyped.query({ orderBy: [{ field: 'colour' }] }), 'colour')
  })

  it('refuses an unknown operator', async () => {
    const { untyped } = await setup()
    expectTypeErrorNaming(
      () => untyped.query({ where: { priority: { between: [1, 2] } } as never }),
      'priority',
    )
  })

  it('refuses an operator object mixed with unknown keys', async () => {
    const { untyped } = await setup()
    expectTypeErrorNaming(
      () => untyped.query({ where: { priority: { gt: 1, max: 3 } } as never }),
      'priority',
    )
  })

  it('refuses an empty condition object', async () => {
    const { untyped } = await setup()
    expectTypeErrorNaming(() => untyped.query({ where: { priority: {} } }), 'priority')
  })

  it('refuses an array as a condition', async () => {
    const { untyped } = await setup()
    expectTypeErrorNaming(() => untyped.query({ where: { priority: [1, 2] } as never }), 'priority')
  })

  it('refuses in without a list', async () => {
    const { untyped } = await setup()
    expectTypeErrorNaming(
      () => untyped.query({ where: { status: { in: 'open' } } as never }),
      'status',
    )
  })

  it('refuses contains without a string', async () => {
    const { untyped } = await setup()
    expectTypeErrorNaming(
      () => untyped.query({ where: { title: { contains: 3 } } as never }),
      'title',
    )
  })

  it('refuses an unknown direction', async () => {
    const { untyped } = await setup()
    expectTypeErrorNaming(
      () => untyped.query({ orderBy: { field: 'priority', direction: 'up' } as never }),
      'priority',
    )
  })

  it.each([[-1], [1.5], [Number.NaN], [Number.POSITIVE_INFINITY]])(
    'refuses the limit %d',
    async (limit) => {
      const { untyped } = await setup()
      expectTypeErrorNaming(() => untyped.query({ limit }), 'limit')
    },
  )

  it.each([[-1], [0.5]])('refuses the offset %d', async (offset) => {
    const { untyped } = await setup()
    expectTypeErrorNaming(() => untyped.query({ offset }), 'offset')
  })

  it('refuses a malformed subscription query when subscribing', async () => {
    const { untyped } = await setup()
    const query = { where: { colour: 'red' } } as Query<Record<string, never>>
    expect(() => untyped.subscribeQuery(query, () => undefined)).toThrow(TypeError)
  })
})

describe('Table.count', () => {
  it('counts every row without a filter', async () => {
    const { workOrders } = await setup()
    expect(workOrders.count()).toBe(5)
  })

  it('counts the rows that match a filter', async () => {
    const { workOrders } = await setup()
    expect(workOrders.count({ status: 'open', priority: { gte: 2 } })).toBe(2)
  })

  it('counts the rows that match an id filter', async () => {
    const { workOrders } = await setup()
    expect(workOrders.count({ id: { in: ['wo-1', 'wo-9'] } })).toBe(1)
  })

  it('refuses an unknown field with a TypeError naming it', async () => {
    const { untyped } = await setup()
    expect(() => untyped.count({ colour: 'red' })).toThrow(TypeError)
    expect(() => untyped.count({ colour: 'red' })).toThrow(/colour/)
  })
})

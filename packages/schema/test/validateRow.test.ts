import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { defineSchema, validateRow } from '@rowsync/schema'
import type { TableSchema, ValidationIssue, ValidationMode } from '@rowsync/schema'

function setup(): TableSchema {
  const schema = defineSchema({
    database: 'field-service',
    tables: {
      customers: { fields: { name: { type: 'string', required: true } } },
      workOrders: {
        fields: {
          title: { type: 'string', required: true },
          notes: { type: 'text' },
          estimate: { type: 'number' },
          priority: { type: 'integer', default: 3 },
          urgent: { type: 'boolean', default: false },
          due: { type: 'date' },
          visitAt: { type: 'datetime' },
          status: { type: 'choice', values: ['open', 'done'], default: 'open' },
          customer: { type: 'reference', table: 'customers' },
          partsUsed: { type: 'counter' },
        },
      },
    },
  })
  const table = schema.tables.get('workOrders')
  if (!table) throw new Error('no workOrders table')
  return table
}

function valuesOf(input: unknown, mode: ValidationMode = 'insert'): Record<string, unknown> {
  const result = validateRow(setup(), input, mode)
  if (!result.ok) throw new Error(`expected valid values: ${JSON.stringify(result.issues)}`)
  return result.values
}

function issuesOf(input: unknown, mode: ValidationMode = 'insert'): readonly ValidationIssue[] {
  const result = validateRow(setup(), input, mode)
  if (result.ok) throw new Error('expected validateRow to refuse the values')
  return result.issues
}

function fieldsOf(input: unknown, mode: ValidationMode = 'insert'): string[] {
  return issuesOf(input, mode).map((issue) => issue.field)
}

describe('validateRow in insert mode', () => {
  it('fills in defaults, counters with 0', () => {
    expect(valuesOf({ title: 'Fix pump' })).toEqual({
      title: 'Fix pump',
      priority: 3,
      urgent: false,
      status: 'open',
      partsUsed: 0,
    })
  })

  it('keeps given values over defaults', () => {
    expect(valuesOf({ title: 'Fix pump', priority: 1, partsUsed: 4 })).toMatchObject({
      priority: 1,
      partsUsed: 4,
    })
  })

  it('fills in the default of a field given as undefined', () => {
    expect(valuesOf({ title: 'Fix pump', priority: undefined }).priority).toBe(3)
  })

  it('accepts a value of every type', () => {
    const row = {
      title: 'Fix pump',
      notes: 'bring a wrench',
      estimate: 1.5,
      priority: -2,
      urgent: true,
      due: '2024-02-29',
      visitAt: '2024-02-29T10:30:00.000Z',
      status: 'done',
      customer: 'c-1',
      partsUsed: 2,
    }
    expect(valuesOf(row)).toEqual(row)
  })

  it('reports a missing required field', () => {
    expect(issuesOf({})).toEqual([
      expect.objectContaining({ field: 'title', got: 'nothing' }) as ValidationIssue,
    ])
  })

  it('reports a required field given as null', () => {
    expect(fieldsOf({ title: null })).toEqual(['title'])
  })

  // The field was reported twice: once as given undefined, once as missing.
  it('reports a required field given as undefined once', () => {
    expect(fieldsOf({ title: undefined })).toEqual(['title'])
  })

  it('stores null for an optional field given as null', () => {
    expect(valuesOf({ title: 'x', estimate: null }).estimate).toBeNull()
  })

  it('stores null over the default of an optional field given as null', () => {
    expect(valuesOf({ title: 'x', priority: null }).priority).toBeNull()
  })

  it('reports an unknown field', () => {
    expect(fieldsOf({ title: 'x', colour: 'red' })).toEqual(['colour'])
  })

  it('reports every bad field, not only the first', () => {
    expect(fieldsOf({ priority: 'high', urgent: 'yes', colour: 'red' }).sort()).toEqual(
      ['colour', 'priority', 'title', 'urgent'].sort(),
    )
  })

  it.each([
    ['title', 42],
    ['title', new String('boxed')],
    ['notes', ['a']],
    ['estimate', '1.5'],
    ['estimate', Number.NaN],
    ['estimate', Number.POSITIVE_INFINITY],
    ['estimate', Number.NEGATIVE_INFINITY],
    ['priority', 1.5],
    ['priority', '3'],
    ['priority', Number.MAX_SAFE_INTEGER + 1],
    ['priority', Number.NaN],
    ['urgent', 'true'],
    ['urgent', 0],
    ['due', '2023-02-30'],
    ['due', '2024-04-31'],
    ['due', '2024-13-01'],
    ['due', '2024-1-5'],
    ['due', '2024-01-05T00:00:00Z'],
    ['due', new Date('2024-01-05T00:00:00Z')],
    ['visitAt', '2024-01-05T10:00:00'],
    ['visitAt', '2024-01-05'],
    ['visitAt', 'tomorrow'],
    ['visitAt', new Date(Number.NaN)],
    ['visitAt', 1_700_000_000_000],
    ['status', 'closed'],
    ['status', 'OPEN'],
    ['customer', ''],
    ['customer', 7],
    ['partsUsed', 1.5],
    ['partsUsed', '2'],
    ['title', { value: 'x' }],
  ])('reports %s given as %o', (field, value) => {
    const input = { title: 'x', [field]: value }
    expect(fieldsOf(input)).toEqual([field])
  })

  it('names what was given in the issue', () => {
    const [issue] = issuesOf({ title: 'x', priority: 1.5 })
    expect(issue?.got).toBe('1.5')
  })

  it.each([[null], [undefined], ['row'], [42], [[]], [[{ title: 'x' }]]])(
    'reports the non-object input %j as a row issue',
    (input) => {
      expect(fieldsOf(input)).toEqual([''])
    },
  )
})

describe('validateRow: datetimes', () => {
  it('normalizes an offset to UTC', () => {
    expect(valuesOf({ title: 'x', visitAt: '2024-03-01T10:00:00+02:00' }).visitAt).toBe(
      '2024-03-01T08:00:00.000Z',
    )
  })

  it('normalizes a negative offset across midnight', () => {
    expect(valuesOf({ title: 'x', visitAt: '2024-12-31T23:30:00-01:00' }).visitAt).toBe(
      '2025-01-01T00:30:00.000Z',
    )
  })

  it('accepts a datetime without seconds', () => {
    expect(valuesOf({ title: 'x', visitAt: '2024-03-01T10:00Z' }).visitAt).toBe(
      '2024-03-01T10:00:00.000Z',
    )
  })

  it('accepts a Date object and stores it as an ISO string', () => {
    const visitAt = new Date(Date.UTC(2024, 2, 1, 8, 15))
    expect(valuesOf({ title: 'x', visitAt }).visitAt).toBe('2024-03-01T08:15:00.000Z')
  })

  // Date.parse rolls 30 February over to 2 March, so the row silently stored another day.
  it('refuses a datetime on a day the month does not have', () => {
    expect(fieldsOf({ title: 'x', visitAt: '2023-02-30T10:00:00Z' })).toEqual(['visitAt'])
  })

  it('refuses a datetime with an hour out of range', () => {
    expect(fieldsOf({ title: 'x', visitAt: '2024-01-01T25:00:00Z' })).toEqual(['visitAt'])
  })
})

describe('validateRow: dates', () => {
  it('accepts 29 February of a leap year', () => {
    expect(valuesOf({ title: 'x', due: '2024-02-29' }).due).toBe('2024-02-29')
  })

  it('refuses 29 February of another year', () => {
    expect(fieldsOf({ title: 'x', due: '2023-02-29' })).toEqual(['due'])
  })
})

describe('validateRow: references', () => {
  // Any non-empty string was accepted, though no row can have an id with a space.
  it('refuses a reference that is not a valid row id', () => {
    expect(fieldsOf({ title: 'x', customer: 'not a row id' })).toEqual(['customer'])
  })
})

describe('validateRow in update mode', () => {
  it('returns only the fields given, without defaults', () => {
    expect(valuesOf({ estimate: 2 }, 'update')).toEqual({ estimate: 2 })
  })

  it('accepts a change that leaves out a required field', () => {
    expect(valuesOf({}, 'update')).toEqual({})
  })

  it('refuses to clear a required field', () => {
    expect(fieldsOf({ title: null }, 'update')).toEqual(['title'])
  })

  it('clears an optional field given as null', () => {
    expect(valuesOf({ priority: null }, 'update')).toEqual({ priority: null })
  })

  it('refuses a value for a counter', () => {
    expect(fieldsOf({ partsUsed: 3 }, 'update')).toEqual(['partsUsed'])
  })

  it('refuses null for a counter', () => {
    expect(fieldsOf({ partsUsed: null }, 'update')).toEqual(['partsUsed'])
  })

  it('reports an unknown field', () => {
    expect(fieldsOf({ colour: 'red' }, 'update')).toEqual(['colour'])
  })

  it('reports a wrong type', () => {
    expect(fieldsOf({ urgent: 'no' }, 'update')).toEqual(['urgent'])
  })

  it('normalizes a datetime', () => {
    expect(valuesOf({ visitAt: '2024-03-01T10:00:00+01:00' }, 'update')).toEqual({
      visitAt: '2024-03-01T09:00:00.000Z',
    })
  })
})

describe('validateRow in stored mode', () => {
  it('does not fill in defaults', () => {
    expect(valuesOf({ title: 'x' }, 'stored')).toEqual({ title: 'x' })
  })

  it('reports a missing required field', () => {
    expect(fieldsOf({ estimate: 1 }, 'stored')).toEqual(['title'])
  })

  it('accepts a counter value', () => {
    expect(valuesOf({ title: 'x', partsUsed: 7 }, 'stored')).toEqual({ title: 'x', partsUsed: 7 })
  })
})

describe('validateRow never throws', () => {
  const modes = fc.constantFrom<ValidationMode>('insert', 'update', 'stored')
  const anything = fc.anything({ withNullPrototype: true, withBoxedValues: true, withDate: true })

  it('on any input', () => {
    const table = setup()
    fc.assert(
      fc.property(anything, modes, (input, mode) => {
        const result = validateRow(table, input, mode)
        expect(typeof result.ok).toBe('boolean')
      }),
    )
  })

  it('on rows of known fields with any values', () => {
    const table = setup()
    const row = fc.dictionary(fc.constantFrom(...table.fields.keys(), 'colour', 'id'), anything)
    fc.assert(
      fc.property(row, modes, (input, mode) => {
        const result = validateRow(table, input, mode)
        expect(typeof result.ok).toBe('boolean')
      }),
    )
  })
})

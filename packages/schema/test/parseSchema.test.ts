import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { defineSchema, parseSchema, SchemaError } from '@rowsync/schema'
import type { FieldSchema, SchemaIssue } from '@rowsync/schema'

/** A valid definition with one table per concern; tests change one key of a copy. */
function validDefinition(): Record<string, unknown> {
  return {
    database: 'field-service',
    tables: {
      customers: { fields: { name: { type: 'string', required: true } } },
      workOrders: {
        fields: {
          title: { type: 'string', required: true },
          notes: { type: 'text' },
        },
      },
    },
  }
}

/** The definition with one field of `workOrders` set to `field`. */
function withField(name: string, field: unknown): Record<string, unknown> {
  return {
    database: 'field-service',
    tables: {
      customers: { fields: { name: { type: 'string' } } },
      workOrders: { fields: { [name]: field } },
    },
  }
}

function issuesOf(input: unknown): readonly SchemaIssue[] {
  const result = parseSchema(input)
  if (result.ok) throw new Error('expected parseSchema to refuse the definition')
  return result.issues
}

function pathsOf(input: unknown): string[] {
  return issuesOf(input).map((issue) => issue.path)
}

function fieldOf(definition: unknown, table: string, field: string): FieldSchema {
  const result = parseSchema(definition)
  if (!result.ok) throw new Error(`expected a valid schema: ${JSON.stringify(result.issues)}`)
  const schema = result.schema.tables.get(table)?.fields.get(field)
  if (!schema) throw new Error(`no field ${table}.${field}`)
  return schema
}

describe('defineSchema', () => {
  it('returns the tables and fields of a valid definition', () => {
    const schema = defineSchema({
      database: 'field-service',
      tables: {
        customers: { fields: { name: { type: 'string', required: true } } },
      },
    })
    expect(schema.database).toBe('field-service')
    expect([...schema.tables.keys()]).toEqual(['customers'])
    expect(schema.tables.get('customers')?.fields.get('name')).toEqual({
      name: 'name',
      type: 'string',
      required: true,
      policy: 'merge',
      default: undefined,
      values: undefined,
      table: undefined,
    })
  })

  it('keeps the definition it was given', () => {
    const definition = {
      database: 'db',
      tables: { notes: { fields: { body: { type: 'text' } } } },
    } as const
    expect(defineSchema(definition).definition).toBe(definition)
  })

  it('throws a SchemaError listing the issues of an invalid definition', () => {
    const define = () =>
      defineSchema({
        database: 'db',
        tables: { notes: { fields: { body: { type: 'text', policy: 'merge' } } } },
      })
    expect(define).toThrow(SchemaError)
    try {
      define()
    } catch (error) {
      expect((error as SchemaError).issues.map((issue) => issue.path)).toEqual([
        'tables.notes.fields.body.policy',
      ])
    }
  })
})

describe('parseSchema: field types', () => {
  it.each([
    ['string', 'merge'],
    ['text', 'text'],
    ['number', 'merge'],
    ['integer', 'merge'],
    ['boolean', 'merge'],
    ['date', 'merge'],
    ['datetime', 'merge'],
    ['counter', 'counter'],
  ] as const)('accepts a %s field and gives it the %s policy by default', (type, policy) => {
    const field = fieldOf(withField('value', { type }), 'workOrders', 'value')
    expect(field.type).toBe(type)
    expect(field.policy).toBe(policy)
    expect(field.required).toBe(false)
  })

  it('accepts a choice field with its values', () => {
    const field = fieldOf(
      withField('status', { type: 'choice', values: ['open', 'done'] }),
      'workOrders',
      'status',
    )
    expect(field).toMatchObject({ type: 'choice', policy: 'merge', values: ['open', 'done'] })
  })

  it('accepts a reference field to another table', () => {
    const field = fieldOf(
      withField('customer', { type: 'reference', table: 'customers' }),
      'workOrders',
      'customer',
    )
    expect(field).toMatchObject({ type: 'reference', policy: 'merge', table: 'customers' })
  })

  it('accepts a reference from a table to itself', () => {
    const field = fieldOf(
      withField('parent', { type: 'reference', table: 'workOrders' }),
      'workOrders',
      'parent',
    )
    expect(field.table).toBe('workOrders')
  })

  it.each(['string', 'number', 'integer', 'boolean', 'date', 'datetime', 'reference'] as const)(
    'accepts the flag policy on a %s field',
    (type) => {
      const definition = withField('value', {
        type,
        policy: 'flag',
        ...(type === 'reference' ? { table: 'customers' } : {}),
      })
      expect(fieldOf(definition, 'workOrders', 'value').policy).toBe('flag')
    },
  )

  it('accepts the flag policy on a choice field', () => {
    const definition = withField('status', { type: 'choice', values: ['a'], policy: 'flag' })
    expect(fieldOf(definition, 'workOrders', 'status').policy).toBe('flag')
  })

  it('gives a counter the default 0', () => {
    expect(fieldOf(withField('parts', { type: 'counter' }), 'workOrders', 'parts').default).toBe(0)
  })

  it('keeps a counter default that is given', () => {
    const definition = withField('parts', { type: 'counter', default: 5 })
    expect(fieldOf(definition, 'workOrders', 'parts').default).toBe(5)
  })

  it.each([
    [{ type: 'string', default: 'x' }, 'x'],
    [{ type: 'text', default: 'hello' }, 'hello'],
    [{ type: 'number', default: 1.5 }, 1.5],
    [{ type: 'integer', default: 3 }, 3],
    [{ type: 'boolean', default: false }, false],
    [{ type: 'date', default: '2024-02-29' }, '2024-02-29'],
    [{ type: 'choice', values: ['a', 'b'], default: 'b' }, 'b'],
    [{ type: 'reference', table: 'customers', default: 'c-1' }, 'c-1'],
  ])('keeps the default of %o', (definition, expected) => {
    expect(fieldOf(withField('value', definition), 'workOrders', 'value').default).toBe(expected)
  })

  it('normalizes a datetime default to UTC', () => {
    const definition = withField('at', { type: 'datetime', default: '2024-01-01T10:00:00+02:00' })
    expect(fieldOf(definition, 'workOrders', 'at').default).toBe('2024-01-01T08:00:00.000Z')
  })

  it('marks a field required', () => {
    const definition = withField('title', { type: 'string', required: true })
    expect(fieldOf(definition, 'workOrders', 'title').required).toBe(true)
  })

  it('gives a table the delete-wins policy by default', () => {
    const result = parseSchema(validDefinition())
    expect(result.ok && result.schema.tables.get('customers')?.deletePolicy).toBe('delete-wins')
  })

  it('keeps the flag delete policy', () => {
    const result = parseSchema({
      database: 'db',
      tables: { notes: { deletePolicy: 'flag', fields: { body: { type: 'text' } } } },
    })
    expect(result.ok && result.schema.tables.get('notes')?.deletePolicy).toBe('flag')
  })

  it('accepts a table with no fields', () => {
    expect(parseSchema({ database: 'db', tables: { empty: { fields: {} } } }).ok).toBe(true)
  })
})

describe('parseSchema: bad definitions', () => {
  it('reports an unknown field type at the type key', () => {
    expect(pathsOf(withField('value', { type: 'money' }))).toEqual([
      'tables.workOrders.fields.value.type',
    ])
  })

  it('reports a missing field type at the type key', () => {
    expect(pathsOf(withField('value', { required: true }))).toEqual([
      'tables.workOrders.fields.value.type',
    ])
  })

  it.each([
    ['text', 'merge'],
    ['text', 'flag'],
    ['counter', 'flag'],
    ['counter', 'merge'],
    ['string', 'text'],
    ['string', 'counter'],
    ['boolean', 'counter'],
    ['integer', 'text'],
    ['number', 'sum'],
  ])('reports a %s field with the %s policy at the policy key', (type, policy) => {
    expect(pathsOf(withField('value', { type, policy }))).toEqual([
      'tables.workOrders.fields.value.policy',
    ])
  })

  it('reports a reference to a missing table at the table key', () => {
    expect(pathsOf(withField('owner', { type: 'reference', table: 'people' }))).toEqual([
      'tables.workOrders.fields.owner.table',
    ])
  })

  it('reports a reference without a table at the table key', () => {
    expect(pathsOf(withField('owner', { type: 'reference' }))).toEqual([
      'tables.workOrders.fields.owner.table',
    ])
  })

  it('reports a table on a field that is not a reference', () => {
    expect(pathsOf(withField('owner', { type: 'string', table: 'customers' }))).toEqual([
      'tables.workOrders.fields.owner.table',
    ])
  })

  it.each([
    ['without values', { type: 'choice' }],
    ['with an empty list', { type: 'choice', values: [] }],
    ['with values that are not strings', { type: 'choice', values: ['a', 1] }],
    ['with values that are not a list', { type: 'choice', values: 'a,b' }],
    ['with duplicate values', { type: 'choice', values: ['a', 'b', 'a'] }],
  ])('reports a choice field %s at the values key', (_case, field) => {
    expect(pathsOf(withField('status', field))).toEqual(['tables.workOrders.fields.status.values'])
  })

  it('reports values on a field that is not a choice', () => {
    expect(pathsOf(withField('status', { type: 'string', values: ['a'] }))).toEqual([
      'tables.workOrders.fields.status.values',
    ])
  })

  it.each(['1st', 'has space', '_hidden', 'dash-name', 'é', '', 'a'.repeat(65)])(
    'reports the field name %j at the field path',
    (name) => {
      expect(pathsOf(withField(name, { type: 'string' }))).toEqual([
        `tables.workOrders.fields.${name}`,
      ])
    },
  )

  it('accepts a field name of 64 characters', () => {
    expect(parseSchema(withField('a'.repeat(64), { type: 'string' })).ok).toBe(true)
  })

  it('reports the reserved field name id', () => {
    expect(pathsOf(withField('id', { type: 'string' }))).toEqual(['tables.workOrders.fields.id'])
  })

  it('says the field name id is reserved', () => {
    const [issue] = issuesOf(withField('id', { type: 'string' }))
    expect(issue?.message).toMatch(/id/)
  })

  it.each(['1st', 'has space', '_hidden', 'a'.repeat(65)])(
    'reports the table name %j at the table path',
    (name) => {
      expect(
        pathsOf({ database: 'db', tables: { [name]: { fields: { a: { type: 'string' } } } } }),
      ).toEqual([`tables.${name}`])
    },
  )

  it('reports an unknown key of the schema', () => {
    expect(pathsOf({ ...validDefinition(), version: 2 })).toEqual(['version'])
  })

  it('reports an unknown key of a table', () => {
    expect(
      pathsOf({
        database: 'db',
        tables: { notes: { fields: { body: { type: 'text' } }, indexes: [] } },
      }),
    ).toEqual(['tables.notes.indexes'])
  })

  it('reports an unknown key of a field', () => {
    expect(pathsOf(withField('title', { type: 'string', maxLength: 10 }))).toEqual([
      'tables.workOrders.fields.title.maxLength',
    ])
  })

  it.each([
    [{ type: 'integer', default: 1.5 }],
    [{ type: 'number', default: Number.NaN }],
    [{ type: 'string', default: 3 }],
    [{ type: 'boolean', default: 'yes' }],
    [{ type: 'date', default: '2023-02-30' }],
    [{ type: 'datetime', default: '2024-01-01T10:00:00' }],
    [{ type: 'choice', values: ['a', 'b'], default: 'c' }],
    [{ type: 'reference', table: 'customers', default: '' }],
    [{ type: 'counter', default: 0.5 }],
  ])('reports the bad default of %o at the default key', (field) => {
    expect(pathsOf(withField('value', field))).toEqual(['tables.workOrders.fields.value.default'])
  })

  it('reports a required flag that is not a boolean', () => {
    expect(pathsOf(withField('title', { type: 'string', required: 'yes' }))).toEqual([
      'tables.workOrders.fields.title.required',
    ])
  })

  it('reports an unknown delete policy at the deletePolicy key', () => {
    expect(
      pathsOf({
        database: 'db',
        tables: { notes: { deletePolicy: 'edit-wins', fields: { body: { type: 'text' } } } },
      }),
    ).toEqual(['tables.notes.deletePolicy'])
  })

  it('reports a field definition that is not an object at the field path', () => {
    expect(pathsOf(withField('title', 'string'))).toEqual(['tables.workOrders.fields.title'])
  })

  it('reports a table without fields at its fields key', () => {
    expect(pathsOf({ database: 'db', tables: { notes: {} } })).toEqual(['tables.notes.fields'])
  })

  it('reports a table that is not an object at its fields key', () => {
    expect(pathsOf({ database: 'db', tables: { notes: 'text' } })).toEqual(['tables.notes.fields'])
  })

  it.each([[undefined], [''], ['has space'], ['-leading'], [42], ['a'.repeat(129)]])(
    'reports the database name %j',
    (database) => {
      expect(pathsOf({ ...validDefinition(), database })).toEqual(['database'])
    },
  )

  it.each([[undefined], [{}], [[]], ['customers']])('reports tables given as %j', (tables) => {
    expect(pathsOf({ database: 'db', tables })).toEqual(['tables'])
  })

  it.each([[null], [undefined], ['schema'], [42], [true], [[]], [[validDefinition()]]])(
    'reports the non-object input %j at the root path',
    (input) => {
      expect(pathsOf(input)).toEqual([''])
    },
  )

  it('lists every issue of a definition with several', () => {
    const paths = pathsOf({
      database: 'db',
      tables: {
        workOrders: {
          deletePolicy: 'never',
          fields: {
            notes: { type: 'text', policy: 'flag' },
            owner: { type: 'reference', table: 'people' },
            id: { type: 'string' },
          },
        },
      },
    })
    expect(paths.sort()).toEqual(
      [
        'tables.workOrders.deletePolicy',
        'tables.workOrders.fields.id',
        'tables.workOrders.fields.notes.policy',
        'tables.workOrders.fields.owner.table',
      ].sort(),
    )
  })

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBoxedValues: true }), (input) => {
        const result = parseSchema(input)
        expect(typeof result.ok).toBe('boolean')
      }),
    )
  })

  it('never throws on schema-shaped input with arbitrary tables and fields', () => {
    const anything = fc.anything({ withNullPrototype: true, withBoxedValues: true })
    const field = fc.oneof(
      anything,
      fc.record(
        {
          type: fc.oneof(fc.constantFrom('string', 'choice', 'reference', 'counter'), anything),
          required: anything,
          policy: fc.oneof(fc.constantFrom('merge', 'flag', 'text', 'counter'), anything),
          default: anything,
          values: fc.oneof(fc.array(fc.string()), anything),
          table: fc.oneof(fc.constant('t'), anything),
        },
        { requiredKeys: [] },
      ),
    )
    const table = fc.oneof(
      anything,
      fc.record(
        { fields: fc.dictionary(fc.string(), field), deletePolicy: anything },
        { requiredKeys: [] },
      ),
    )
    fc.assert(
      fc.property(
        fc.record({
          database: fc.oneof(fc.string(), anything),
          tables: fc.dictionary(fc.string(), table),
        }),
        (input) => {
          const result = parseSchema(input)
          expect(typeof result.ok).toBe('boolean')
        },
      ),
    )
  })
})

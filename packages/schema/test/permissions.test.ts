import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  canRead,
  canWrite,
  defineSchema,
  parsePermissionRules,
  readableTables,
} from '@rowsync/schema'
import type { PermissionRules, RowValues, Schema, SchemaIssue, UserIdentity } from '@rowsync/schema'

function setupSchema(): Schema {
  return defineSchema({
    database: 'field-service',
    tables: {
      customers: { fields: { name: { type: 'string', required: true } } },
      workOrders: {
        fields: {
          title: { type: 'string', required: true },
          status: { type: 'choice', values: ['open', 'done'], default: 'open' },
          technician: { type: 'string' },
          customer: { type: 'reference', table: 'customers' },
          priority: { type: 'integer' },
          scheduledFor: { type: 'datetime' },
          partsUsed: { type: 'counter' },
        },
      },
    },
  })
}

function validRules(): Record<string, unknown> {
  return {
    roles: {
      dispatcher: {
        tables: {
          customers: { access: 'write', rows: 'all' },
          workOrders: { access: 'write', rows: 'all' },
        },
      },
      technician: {
        tables: {
          customers: { access: 'read', rows: 'all' },
          workOrders: { access: 'write', rows: 'own' },
        },
      },
      reviewer: {
        tables: { workOrders: { access: 'read', rows: { where: { status: 'done' } } } },
      },
    },
    owners: { workOrders: 'technician' },
  }
}

function rulesOf(input: unknown = validRules()): PermissionRules {
  const result = parsePermissionRules(setupSchema(), input)
  if (!result.ok) throw new Error(`expected valid rules: ${JSON.stringify(result.issues)}`)
  return result.rules
}

function issuesOf(input: unknown): readonly SchemaIssue[] {
  const result = parsePermissionRules(setupSchema(), input)
  if (result.ok) throw new Error('expected parsePermissionRules to refuse the rules')
  return result.issues
}

function pathsOf(input: unknown): string[] {
  return issuesOf(input).map((issue) => issue.path)
}

/** The valid rules with one role's table grant replaced. */
function withGrant(grant: unknown, table = 'workOrders'): Record<string, unknown> {
  return { roles: { tester: { tables: { [table]: grant } } }, owners: { workOrders: 'technician' } }
}

const tom: UserIdentity = { id: 'tom', roles: ['technician'] }
const tomsOrder: RowValues = { title: 'Fix pump', status: 'open', technician: 'tom' }
const tinasOrder: RowValues = { title: 'Fix valve', status: 'done', technician: 'tina' }

describe('parsePermissionRules', () => {
  it('accepts valid rules and keeps them', () => {
    const rules = rulesOf()
    expect(rules.owners).toEqual({ workOrders: 'technician' })
    expect(rules.roles.technician?.tables.workOrders).toEqual({ access: 'write', rows: 'own' })
    expect(rules.roles.reviewer?.tables.workOrders?.rows).toEqual({ where: { status: 'done' } })
  })

  it('accepts rules without owners when no grant is own', () => {
    expect(rulesOf({ roles: { auditor: { tables: {} } } }).owners).toEqual({})
  })

  it('normalizes where values like stored values', () => {
    const rules = rulesOf(
      withGrant({ access: 'read', rows: { where: { scheduledFor: '2025-01-01T10:00+01:00' } } }),
    )
    expect(rules.roles.tester?.tables.workOrders?.rows).toEqual({
      where: { scheduledFor: '2025-01-01T09:00:00.000Z' },
    })
  })

  it('refuses input that is not an object', () => {
    expect(pathsOf('rules')).toEqual([''])
  })

  it('names an unknown top-level key', () => {
    expect(pathsOf({ ...validRules(), owner: {} })).toEqual(['owner'])
  })

  it('refuses rules without roles', () => {
    expect(pathsOf({ roles: {} })).toEqual(['roles'])
  })

  it('names an unknown table in a role by path', () => {
    expect(pathsOf(withGrant({ access: 'read', rows: 'all' }, 'invoices'))).toEqual([
      'roles.tester.tables.invoices',
    ])
  })

  it('names an unknown key of a role', () => {
    const rules = { roles: { tester: { tables: {}, table: {} } } }
    expect(pathsOf(rules)).toEqual(['roles.tester.table'])
  })

  it('refuses a role without tables', () => {
    expect(pathsOf({ roles: { tester: {} } })).toEqual(['roles.tester.tables'])
  })

  it('refuses a bad role name', () => {
    expect(pathsOf({ roles: { 'no spaces': { tables: {} } } })).toEqual(['roles.no spaces'])
  })

  it('refuses a role named like an Object.prototype member', () => {
    expect(pathsOf({ roles: { constructor: { tables: {} } } })).toEqual(['roles.constructor'])
  })

  it('refuses an unknown access', () => {
    expect(pathsOf(withGrant({ access: 'admin', rows: 'all' }))).toEqual([
      'roles.tester.tables.workOrders.access',
    ])
  })

  it('refuses an unknown row scope', () => {
    expect(pathsOf(withGrant({ access: 'read', rows: 'some' }))).toEqual([
      'roles.tester.tables.workOrders.rows',
    ])
  })

  it('refuses a missing row scope', () => {
    expect(pathsOf(withGrant({ access: 'read' }))).toEqual(['roles.tester.tables.workOrders.rows'])
  })

  it('names an unknown key of a grant', () => {
    expect(pathsOf(withGrant({ access: 'read', rows: 'all', fields: [] }))).toEqual([
      'roles.tester.tables.workOrders.fields',
    ])
  })

  it('refuses own on a table without an owner field', () => {
    expect(pathsOf(withGrant({ access: 'read', rows: 'own' }, 'customers'))).toEqual([
      'roles.tester.tables.customers.rows',
    ])
  })

  it('names an unknown field in where', () => {
    expect(pathsOf(withGrant({ access: 'read', rows: { where: { colour: 'red' } } }))).toEqual([
      'roles.tester.tables.workOrders.rows.where.colour',
    ])
  })

  it('refuses a where value of the wrong type', () => {
    expect(pathsOf(withGrant({ access: 'read', rows: { where: { status: 'lost' } } }))).toEqual([
      'roles.tester.tables.workOrders.rows.where.status',
    ])
  })

  it('refuses a counter in where', () => {
    expect(pathsOf(withGrant({ access: 'read', rows: { where: { partsUsed: 0 } } }))).toEqual([
      'roles.tester.tables.workOrders.rows.where.partsUsed',
    ])
  })

  it('refuses an empty where', () => {
    expect(pathsOf(withGrant({ access: 'read', rows: { where: {} } }))).toEqual([
      'roles.tester.tables.workOrders.rows.where',
    ])
  })

  it('names an unknown table in owners', () => {
    expect(
      pathsOf({ ...validRules(), owners: { workOrders: 'technician', invoices: 'owner' } }),
    ).toEqual(['owners.invoices'])
  })

  it('names an unknown owner field', () => {
    const paths = pathsOf({ ...validRules(), owners: { workOrders: 'assignee' } })
    expect(paths).toContain('owners.workOrders')
  })

  it('refuses an owner field that cannot hold a user id', () => {
    expect(
      pathsOf({ roles: { auditor: { tables: {} } }, owners: { workOrders: 'priority' } }),
    ).toEqual(['owners.workOrders'])
  })

  it('accepts a reference field as owner', () => {
    expect(
      rulesOf({ roles: { auditor: { tables: {} } }, owners: { workOrders: 'customer' } }).owners,
    ).toEqual({ workOrders: 'customer' })
  })

  it('reports every issue at once', () => {
    const rules = {
      roles: {
        tester: {
          tables: {
            invoices: { access: 'read', rows: 'all' },
            workOrders: { access: 'delete', rows: 'all' },
          },
        },
      },
      owners: { sites: 'owner' },
    }
    expect(pathsOf(rules).sort()).toEqual([
      'owners.sites',
      'roles.tester.tables.invoices',
      'roles.tester.tables.workOrders.access',
    ])
  })

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        parsePermissionRules(setupSchema(), input)
        parsePermissionRules(setupSchema(), { roles: input, owners: input })
        parsePermissionRules(setupSchema(), {
          roles: { tester: { tables: { workOrders: input } } },
        })
      }),
    )
  })
})

describe('canRead and canWrite', () => {
  it('lets a write-all role read and write every row', () => {
    const dana: UserIdentity = { id: 'dana', roles: ['dispatcher'] }
    expect(canWrite(rulesOf(), dana, 'workOrders', tinasOrder)).toBe(true)
    expect(canRead(rulesOf(), dana, 'customers', { name: 'Acme' })).toBe(true)
  })

  it('lets an own role write its own rows', () => {
    expect(canWrite(rulesOf(), tom, 'workOrders', tomsOrder)).toBe(true)
  })

  it('refuses an own role another user’s rows', () => {
    expect(canRead(rulesOf(), tom, 'workOrders', tinasOrder)).toBe(false)
    expect(canWrite(rulesOf(), tom, 'workOrders', tinasOrder)).toBe(false)
  })

  it('refuses own on a row without an owner', () => {
    expect(canRead(rulesOf(), tom, 'workOrders', { title: 'Unassigned' })).toBe(false)
  })

  it('refuses own to a user with an empty id', () => {
    const nobody: UserIdentity = { id: '', roles: ['technician'] }
    expect(canRead(rulesOf(), nobody, 'workOrders', { title: 'x', technician: '' })).toBe(false)
  })

  it('lets write imply read', () => {
    expect(canRead(rulesOf(), tom, 'workOrders', tomsOrder)).toBe(true)
  })

  it('lets a read grant read but not write', () => {
    expect(canRead(rulesOf(), tom, 'customers', { name: 'Acme' })).toBe(true)
    expect(canWrite(rulesOf(), tom, 'customers', { name: 'Acme' })).toBe(false)
  })

  it('scopes a where grant to matching rows', () => {
    const rita: UserIdentity = { id: 'rita', roles: ['reviewer'] }
    expect(canRead(rulesOf(), rita, 'workOrders', tinasOrder)).toBe(true)
    expect(canRead(rulesOf(), rita, 'workOrders', tomsOrder)).toBe(false)
  })

  it('matches a null where value against a missing field', () => {
    const rules = rulesOf(withGrant({ access: 'read', rows: { where: { technician: null } } }))
    const user: UserIdentity = { id: 'u', roles: ['tester'] }
    expect(canRead(rules, user, 'workOrders', { title: 'Unassigned' })).toBe(true)
    expect(canRead(rules, user, 'workOrders', tomsOrder)).toBe(false)
  })

  it('takes the union of a user’s roles', () => {
    const both: UserIdentity = { id: 'tom', roles: ['technician', 'reviewer'] }
    expect(canRead(rulesOf(), both, 'workOrders', tinasOrder)).toBe(true)
    expect(canWrite(rulesOf(), both, 'workOrders', tinasOrder)).toBe(false)
  })

  it('grants nothing for unknown roles', () => {
    const stranger: UserIdentity = { id: 'tom', roles: ['admin', 'constructor', '__proto__'] }
    expect(canRead(rulesOf(), stranger, 'workOrders', tomsOrder)).toBe(false)
  })

  it('grants nothing on unknown tables', () => {
    const dana: UserIdentity = { id: 'dana', roles: ['dispatcher'] }
    expect(canRead(rulesOf(), dana, 'invoices', {})).toBe(false)
    expect(canRead(rulesOf(), dana, 'toString', {})).toBe(false)
  })
})

describe('readableTables', () => {
  it('lists the tables of every role of the user, sorted', () => {
    expect(readableTables(rulesOf(), tom)).toEqual(['customers', 'workOrders'])
  })

  it('lists nothing for a user without known roles', () => {
    expect(readableTables(rulesOf(), { id: 'x', roles: ['admin'] })).toEqual([])
  })
})

describe('permission properties', () => {
  const roleNames = ['r0', 'r1', 'r2', 'r3'] as const
  const workOrderScope = fc.constantFrom<unknown>(
    'all',
    'own',
    { where: { status: 'open' } },
    { where: { technician: 'u1', status: 'done' } },
    { where: { technician: null } },
  )
  const customerScope = fc.constantFrom<unknown>(
    'all',
    { where: { name: 'n' } },
    { where: { name: 'm' } },
  )
  const grantOf = (rows: fc.Arbitrary<unknown>) =>
    fc.record({ access: fc.constantFrom('read', 'write'), rows })
  const role = fc.record({
    tables: fc.record(
      { customers: grantOf(customerScope), workOrders: grantOf(workOrderScope) },
      { requiredKeys: [] },
    ),
  })
  const rulesInput = fc.record({
    roles: fc.record({ r0: role, r1: role, r2: role, r3: role }, { requiredKeys: ['r0'] }),
    owners: fc.constant({ workOrders: 'technician' }),
  })
  const someRoles = fc.subarray([...roleNames, 'unknown'])
  const row = fc.record({
    title: fc.constant('t'),
    status: fc.constantFrom('open', 'done', null),
    technician: fc.constantFrom('u1', 'u2', null),
    name: fc.constant('n'),
  })
  const userId = fc.constantFrom('u1', 'u2')
  const table = fc.constantFrom('customers', 'workOrders')

  it('never reduces access when a user gains roles', () => {
    fc.assert(
      fc.property(
        rulesInput,
        userId,
        someRoles,
        someRoles,
        table,
        row,
        (input, id, roles, extraRoles, tableName, values) => {
          const rules = rulesOf(input)
          const fewer: UserIdentity = { id, roles }
          const more: UserIdentity = { id, roles: [...roles, ...extraRoles] }
          if (canRead(rules, fewer, tableName, values)) {
            expect(canRead(rules, more, tableName, values)).toBe(true)
          }
          if (canWrite(rules, fewer, tableName, values)) {
            expect(canWrite(rules, more, tableName, values)).toBe(true)
          }
          const moreTables = readableTables(rules, more)
          for (const name of readableTables(rules, fewer)) expect(moreTables).toContain(name)
        },
      ),
    )
  })

  it('lets every write imply a read', () => {
    fc.assert(
      fc.property(rulesInput, userId, someRoles, table, row, (input, id, roles, name, values) => {
        const rules = rulesOf(input)
        const user: UserIdentity = { id, roles }
        if (canWrite(rules, user, name, values))
          expect(canRead(rules, user, name, values)).toBe(true)
        if (canRead(rules, user, name, values)) expect(readableTables(rules, user)).toContain(name)
      }),
    )
  })
})

import { checkFieldValue } from '../checkFieldValue.ts'
import { describeValue } from '../describeValue.ts'
import type { FieldValue, Schema, TableSchema } from '../Schema.ts'
import type { SchemaIssue } from '../SchemaError.ts'
import type { Access, PermissionRules, RoleGrant, RowScope, TableGrant } from './PermissionRules.ts'

/** The outcome of {@link parsePermissionRules}. */
export type PermissionRulesResult =
  { ok: true; rules: PermissionRules } | { ok: false; issues: readonly SchemaIssue[] }

// Role names come from tokens too (e.g. `field:technician`), so a few separators are allowed.
const roleNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/
const accesses: readonly Access[] = ['read', 'write']
const ownerFieldTypes = new Set(['string', 'reference'])

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function tableOf(schema: Schema, name: string): TableSchema | undefined {
  return schema.tables.has(name) ? schema.tables.get(name) : undefined
}

function checkKeys(
  path: string,
  input: Record<string, unknown>,
  allowed: readonly string[],
  issues: SchemaIssue[],
): void {
  for (const key of Object.keys(input)) {
    if (!allowed.includes(key)) {
      issues.push({
        path: path === '' ? key : `${path}.${key}`,
        message: `unknown key; expected ${allowed.join(' or ')}`,
      })
    }
  }
}

function parseOwners(
  schema: Schema,
  input: unknown,
  issues: SchemaIssue[],
): Record<string, string> {
  const owners: Record<string, string> = {}
  if (input === undefined) return owners
  if (!isRecord(input)) {
    issues.push({
      path: 'owners',
      message: `expected an object of owner field names by table, got ${describeValue(input)}`,
    })
    return owners
  }
  for (const [tableName, fieldName] of Object.entries(input)) {
    const path = `owners.${tableName}`
    const table = tableOf(schema, tableName)
    if (!table) {
      issues.push({ path, message: `unknown table ${describeValue(tableName)}` })
      continue
    }
    const field = typeof fieldName === 'string' ? table.fields.get(fieldName) : undefined
    if (!field) {
      issues.push({
        path,
        message: `expected a field of table ${tableName}, got ${describeValue(fieldName)}`,
      })
    } else if (!ownerFieldTypes.has(field.type)) {
      issues.push({
        path,
        message: `an owner field holds a user id, so it is a string or reference field; ${field.name} is ${field.type}`,
      })
    } else {
      owners[tableName] = field.name
    }
  }
  return owners
}

function parseWhere(
  path: string,
  table: TableSchema,
  input: unknown,
  issues: SchemaIssue[],
): RowScope | undefined {
  if (!isRecord(input) || Object.keys(input).length === 0) {
    issues.push({
      path,
      message: `expected an object of field values, got ${describeValue(input)}; use "all" for every row`,
    })
    return undefined
  }
  const where: Record<string, FieldValue> = {}
  let valid = true
  for (const [fieldName, value] of Object.entries(input)) {
    const fieldPath = `${path}.${fieldName}`
    const field = table.fields.get(fieldName)
    if (!field) {
      issues.push({ path: fieldPath, message: `unknown field of table ${table.name}` })
      valid = false
    } else if (field.type === 'counter') {
      // Concurrent increments move a counter, so rows would drift in and out of the scope.
      issues.push({ path: fieldPath, message: 'a counter field cannot scope rows' })
      valid = false
    } else if (value === null) {
      where[fieldName] = null
    } else {
      const check = checkFieldValue(field, value)
      if (check.ok) {
        where[fieldName] = check.value
      } else {
        issues.push({
          path: fieldPath,
          message: `expected ${check.expected}, got ${describeValue(value)}`,
        })
        valid = false
      }
    }
  }
  return valid ? { where } : undefined
}

function parseGrant(
  path: string,
  table: TableSchema,
  owners: Readonly<Record<string, string>>,
  input: unknown,
  issues: SchemaIssue[],
): TableGrant | undefined {
  if (!isRecord(input)) {
    issues.push({
      path,
      message: `expected { access, rows }, got ${describeValue(input)}`,
    })
    return undefined
  }
  checkKeys(path, input, ['access', 'rows'], issues)
  const access = input.access
  const accessValid = accesses.includes(access as Access)
  if (!accessValid) {
    issues.push({
      path: `${path}.access`,
      message: `expected "read" or "write", got ${describeValue(access)}`,
    })
  }
  let rows: RowScope | undefined
  const rowsInput = input.rows
  if (rowsInput === 'all') {
    rows = 'all'
  } else if (rowsInput === 'own') {
    if (Object.hasOwn(owners, table.name)) {
      rows = 'own'
    } else {
      issues.push({
        path: `${path}.rows`,
        message: `"own" needs the owner field of table ${table.name} in owners.${table.name}`,
      })
    }
  } else if (isRecord(rowsInput)) {
    checkKeys(`${path}.rows`, rowsInput, ['where'], issues)
    rows = parseWhere(`${path}.rows.where`, table, rowsInput.where, issues)
  } else {
    issues.push({
      path: `${path}.rows`,
      message: `expected "all", "own" or { where }, got ${describeValue(rowsInput)}`,
    })
  }
  return accessValid && rows !== undefined ? { access: access as Access, rows } : undefined
}

function parseRole(
  path: string,
  schema: Schema,
  owners: Readonly<Record<string, string>>,
  input: unknown,
  issues: SchemaIssue[],
): RoleGrant {
  const tables: Record<string, TableGrant> = {}
  if (!isRecord(input) || !isRecord(input.tables)) {
    issues.push({
      path: `${path}.tables`,
      message: 'a role needs an object of grants by table',
    })
    return { tables }
  }
  checkKeys(path, input, ['tables'], issues)
  for (const [tableName, grantInput] of Object.entries(input.tables)) {
    const grantPath = `${path}.tables.${tableName}`
    const table = tableOf(schema, tableName)
    if (!table) {
      issues.push({ path: grantPath, message: `unknown table ${describeValue(tableName)}` })
      continue
    }
    const grant = parseGrant(grantPath, table, owners, grantInput, issues)
    if (grant) tables[tableName] = grant
  }
  return { tables }
}

/**
 * Validates untrusted permission rules against a schema and returns the rules or every issue
 * found, each with the dotted path of the bad key (`roles.technician.tables.orders`). Never
 * throws. `owners` may be left out when no grant uses `own`.
 * @param schema - the validated schema the rules are for
 * @param input - the rules, e.g. from a config file
 */
export function parsePermissionRules(schema: Schema, input: unknown): PermissionRulesResult {
  if (!isRecord(input)) {
    return {
      ok: false,
      issues: [{ path: '', message: `expected { roles, owners }, got ${describeValue(input)}` }],
    }
  }
  const issues: SchemaIssue[] = []
  checkKeys('', input, ['roles', 'owners'], issues)
  const owners = parseOwners(schema, input.owners, issues)
  const roles: Record<string, RoleGrant> = {}
  if (!isRecord(input.roles) || Object.keys(input.roles).length === 0) {
    issues.push({ path: 'roles', message: 'expected an object with at least one role' })
  } else {
    for (const [roleName, roleInput] of Object.entries(input.roles)) {
      const path = `roles.${roleName}`
      if (!roleNamePattern.test(roleName) || roleName in Object.prototype) {
        issues.push({
          path,
          message:
            roleName in Object.prototype
              ? `"${roleName}" is a name every JavaScript object already has`
              : 'a role name starts with a letter or digit and has only letters, digits and _ . : - (64 at most)',
        })
        continue
      }
      roles[roleName] = parseRole(path, schema, owners, roleInput, issues)
    }
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, rules: { roles, owners } }
}

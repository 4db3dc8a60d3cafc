import { checkFieldValue } from './checkFieldValue.ts'
import { describeValue } from './describeValue.ts'
import {
  fieldTypes,
  type DeletePolicy,
  type FieldSchema,
  type FieldType,
  type MergePolicy,
  type Schema,
  type SchemaDefinition,
  type TableSchema,
} from './Schema.ts'
import type { SchemaIssue } from './SchemaError.ts'

/** The outcome of {@link parseSchema}. */
export type SchemaResult =
  { ok: true; schema: Schema } | { ok: false; issues: readonly SchemaIssue[] }

const namePattern = /^[A-Za-z][A-Za-z0-9_]{0,63}$/
const databasePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
const fieldKeys = new Set(['type', 'required', 'policy', 'default', 'values', 'table'])
const policiesByType: Record<FieldType, readonly MergePolicy[]> = {
  string: ['merge', 'flag'],
  text: ['text'],
  number: ['merge', 'flag'],
  integer: ['merge', 'flag'],
  boolean: ['merge', 'flag'],
  date: ['merge', 'flag'],
  datetime: ['merge', 'flag'],
  choice: ['merge', 'flag'],
  reference: ['merge', 'flag'],
  counter: ['counter'],
}
const deletePolicies: readonly DeletePolicy[] = ['delete-wins', 'flag']
/** Field names that rows use for their own identity. */
const reservedFieldNames = new Set(['id'])

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isFieldType(value: unknown): value is FieldType {
  return typeof value === 'string' && (fieldTypes as readonly string[]).includes(value)
}

function parseField(
  path: string,
  name: string,
  input: unknown,
  tableNames: ReadonlySet<string>,
  issues: SchemaIssue[],
): FieldSchema | undefined {
  if (!namePattern.test(name) || reservedFieldNames.has(name) || name in Object.prototype) {
    issues.push({
      path,
      message: reservedFieldNames.has(name)
        ? `"${name}" is reserved for the row id`
        : name in Object.prototype
          ? `"${name}" is a name every JavaScript object already has`
          : 'a field name starts with a letter and has only letters, digits and _ (64 at most)',
    })
  }
  if (!isRecord(input)) {
    issues.push({ path, message: `expected a field definition, got ${describeValue(input)}` })
    return undefined
  }
  for (const key of Object.keys(input)) {
    if (!fieldKeys.has(key)) issues.push({ path: `${path}.${key}`, message: 'unknown key' })
  }
  const type = input.type
  if (!isFieldType(type)) {
    issues.push({
      path: `${path}.type`,
      message: `unknown type ${describeValue(type)}; expected one of ${fieldTypes.join(', ')}`,
    })
    return undefined
  }
  const allowedPolicies = policiesByType[type]
  const policy = input.policy ?? allowedPolicies[0]
  if (!allowedPolicies.includes(policy as MergePolicy)) {
    issues.push({
      path: `${path}.policy`,
      message: `policy ${describeValue(policy)} does not fit type ${type}; use ${allowedPolicies.join(' or ')}`,
    })
  }
  if (input.required !== undefined && typeof input.required !== 'boolean') {
    issues.push({ path: `${path}.required`, message: 'expected true or false' })
  }
  let values: string[] | undefined
  if (type === 'choice') {
    const raw = input.values
    if (!Array.isArray(raw) || raw.length === 0 || !raw.every((v) => typeof v === 'string')) {
      issues.push({ path: `${path}.values`, message: 'a choice field needs a list of strings' })
    } else if (new Set(raw).size !== raw.length) {
      issues.push({ path: `${path}.values`, message: 'choice values must be distinct' })
    } else {
      values = raw
    }
  } else if (input.values !== undefined) {
    issues.push({ path: `${path}.values`, message: 'only choice fields have values' })
  }
  let table: string | undefined
  if (type === 'reference') {
    if (typeof input.table !== 'string' || !tableNames.has(input.table)) {
      issues.push({
        path: `${path}.table`,
        message: `reference to missing table ${describeValue(input.table)}`,
      })
    } else {
      table = input.table
    }
  } else if (input.table !== undefined) {
    issues.push({ path: `${path}.table`, message: 'only reference fields name a table' })
  }
  const field: FieldSchema = {
    name,
    type,
    required: input.required === true,
    policy: policy as MergePolicy,
    default: undefined,
    values,
    table,
  }
  if (input.default === undefined) {
    return type === 'counter' ? { ...field, default: 0 } : field
  }
  const check = checkFieldValue(field, input.default)
  if (!check.ok) {
    issues.push({
      path: `${path}.default`,
      message: `expected ${check.expected}, got ${describeValue(input.default)}`,
    })
    return field
  }
  return { ...field, default: check.value }
}

function parseTable(
  path: string,
  name: string,
  input: unknown,
  tableNames: ReadonlySet<string>,
  issues: SchemaIssue[],
): TableSchema | undefined {
  if (!namePattern.test(name)) {
    issues.push({
      path,
      message: 'a table name starts with a letter and has only letters, digits and _ (64 at most)',
    })
  }
  if (!isRecord(input) || !isRecord(input.fields)) {
    issues.push({ path: `${path}.fields`, message: 'a table needs an object of fields' })
    return undefined
  }
  for (const key of Object.keys(input)) {
    if (key !== 'fields' && key !== 'deletePolicy') {
      issues.push({ path: `${path}.${key}`, message: 'unknown key' })
    }
  }
  const deletePolicy = input.deletePolicy ?? 'delete-wins'
  if (!deletePolicies.includes(deletePolicy as DeletePolicy)) {
    issues.push({
      path: `${path}.deletePolicy`,
      message: `unknown delete policy ${describeValue(deletePolicy)}; use ${deletePolicies.join(' or ')}`,
    })
  }
  const fields = new Map<string, FieldSchema>()
  for (const [fieldName, fieldInput] of Object.entries(input.fields)) {
    const field = parseField(
      `${path}.fields.${fieldName}`,
      fieldName,
      fieldInput,
      tableNames,
      issues,
    )
    if (field) fields.set(fieldName, field)
  }
  return { name, fields, deletePolicy: deletePolicy as DeletePolicy }
}

/**
 * Validates an untrusted schema definition (from code or a config file) and returns the
 * schema or every issue found, each with the path of the bad key. Never throws.
 * @param input - the definition to check
 */
export function parseSchema(input: unknown): SchemaResult {
  const issues: SchemaIssue[] = []
  if (!isRecord(input)) {
    return {
      ok: false,
      issues: [{ path: '', message: `expected a schema object, got ${describeValue(input)}` }],
    }
  }
  for (const key of Object.keys(input)) {
    if (key !== 'database' && key !== 'tables') issues.push({ path: key, message: 'unknown key' })
  }
  if (typeof input.database !== 'string' || !databasePattern.test(input.database)) {
    issues.push({
      path: 'database',
      message: `expected a database name of letters, digits, '.', '_' or '-', got ${describeValue(input.database)}`,
    })
  }
  if (!isRecord(input.tables) || Object.keys(input.tables).length === 0) {
    issues.push({ path: 'tables', message: 'a schema needs at least one table' })
    return { ok: false, issues }
  }
  const tableNames = new Set(Object.keys(input.tables))
  const tables = new Map<string, TableSchema>()
  for (const [name, tableInput] of Object.entries(input.tables)) {
    const table = parseTable(`tables.${name}`, name, tableInput, tableNames, issues)
    if (table) tables.set(name, table)
  }
  if (issues.length > 0) return { ok: false, issues }
  return {
    ok: true,
    schema: {
      database: input.database as string,
      tables,
      definition: input as unknown as SchemaDefinition,
    },
  }
}

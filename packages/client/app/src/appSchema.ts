import type { Database, Table } from '@rowsync/client'
import { parseSchema, type FieldType, type Schema, type SchemaDefinition } from '@rowsync/schema'

/**
 * The part of a schema the app's screens are written for: a `workOrders` table with these
 * fields. The relay's schema may hold more tables and fields; the forms show every field.
 */
export type AppSchemaDefinition = SchemaDefinition & {
  readonly tables: {
    readonly workOrders: {
      readonly fields: {
        readonly title: { readonly type: 'string'; readonly required: true }
        readonly status: { readonly type: 'choice'; readonly values: readonly string[] }
        readonly priority: { readonly type: 'integer' }
        readonly technician: { readonly type: 'string' }
        readonly dueDate: { readonly type: 'date' }
        readonly partsUsed: { readonly type: 'counter' }
      }
    }
  }
}

/** The database the app opens. */
export type AppDatabase = Database<AppSchemaDefinition>

/** What {@link parseAppSchema} returns: the schema, or why the app cannot work with it. */
export type AppSchemaResult =
  | { readonly ok: true; readonly schema: Schema<AppSchemaDefinition> }
  | { readonly ok: false; readonly reason: string }

const workOrderFields: Readonly<Record<string, FieldType>> = {
  title: 'string',
  status: 'choice',
  priority: 'integer',
  technician: 'string',
  dueDate: 'date',
  partsUsed: 'counter',
}

const cacheKey = 'rowsync.schema'

/**
 * Checks an untrusted schema definition (the relay's answer, or the browser's saved copy):
 * it must be a valid schema with the work order fields of {@link AppSchemaDefinition}.
 * Never throws.
 * @param input - the definition
 */
export function parseAppSchema(input: unknown): AppSchemaResult {
  const result = parseSchema(input)
  if (!result.ok) {
    const issues = result.issues.map((issue) => `${issue.path}: ${issue.message}`)
    return { ok: false, reason: `the schema is not valid (${issues.join('; ')})` }
  }
  const fields = result.schema.tables.get('workOrders')?.fields
  if (fields === undefined) return { ok: false, reason: 'the schema has no workOrders table' }
  for (const [name, type] of Object.entries(workOrderFields)) {
    const field = fields.get(name)
    if (field?.type !== type) {
      return { ok: false, reason: `workOrders.${name} is ${field?.type ?? 'missing'}, not ${type}` }
    }
  }
  if (fields.get('title')?.required !== true) {
    return { ok: false, reason: 'workOrders.title is not required' }
  }
  return { ok: true, schema: result.schema as Schema<AppSchemaDefinition> }
}

/**
 * The schema of the relay the app talks to (`GET /v1/schema`), saved in this browser so the
 * app starts offline; the saved copy when the relay cannot be reached.
 * @param relay - the relay's base URL
 * @param token - gives the token to present
 * @throws {Error} when the relay's schema does not fit the app, or when the relay cannot be
 *   reached and no copy is saved
 */
export async function loadAppSchema(
  relay: string,
  token: () => Promise<string>,
): Promise<Schema<AppSchemaDefinition>> {
  let definition: unknown
  try {
    const response = await fetch(new URL('/v1/schema', relay), {
      headers: { Authorization: `Bearer ${await token()}` },
    })
    if (!response.ok) throw new Error(`GET /v1/schema failed with HTTP ${response.status}`)
    definition = await response.json()
  } catch (error) {
    const saved = parseAppSchema(readSaved())
    if (saved.ok) return saved.schema
    throw new Error(
      `the relay's schema could not be loaded and this browser has no saved copy: ${String(error)}`,
      { cause: error },
    )
  }
  const result = parseAppSchema(definition)
  if (!result.ok) throw new Error(`the relay's schema does not fit this app: ${result.reason}`)
  localStorage.setItem(cacheKey, JSON.stringify(result.schema.definition))
  return result.schema
}

function readSaved(): unknown {
  try {
    return JSON.parse(localStorage.getItem(cacheKey) ?? 'null')
  } catch {
    return undefined
  }
}

/** Any table of the schema by name, for screens that list tables the app does not name. */
export function tableOf(database: AppDatabase, name: string): Table {
  return (database as unknown as Database).table(name)
}

import {
  readableTables,
  type PermissionRules,
  type Schema,
  type TableSchema,
  type UserIdentity,
} from '@rowsync/schema'

/** The outcome of {@link tableAccess}: the table, or the status and message to answer with. */
export type TableAccess =
  | { ok: true; table: TableSchema; writable: boolean }
  | { ok: false; status: 403 | 404; error: string }

/**
 * Checks a table named in a request path: 404 when the schema has no such table, 403 when no
 * role of the user grants anything on it. `writable` says whether some grant of the user
 * allows writing some of its rows (each row is still checked with `canWrite`).
 * @param schema - the database schema
 * @param rules - the permission rules
 * @param user - the authenticated user
 * @param name - the table name from the path
 */
export function tableAccess(
  schema: Schema,
  rules: PermissionRules,
  user: UserIdentity,
  name: string,
): TableAccess {
  const table = schema.tables.get(name)
  if (table === undefined) return { ok: false, status: 404, error: 'unknown table' }
  if (!readableTables(rules, user).includes(name)) {
    return { ok: false, status: 403, error: `user ${user.id} may not access table ${name}` }
  }
  const writable = user.roles.some(
    (role) =>
      Object.hasOwn(rules.roles, role) &&
      Object.hasOwn(rules.roles[role]?.tables ?? {}, name) &&
      rules.roles[role]?.tables[name]?.access === 'write',
  )
  return { ok: true, table, writable }
}

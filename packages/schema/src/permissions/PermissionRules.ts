import type { FieldValue } from '../Schema.ts'

/** What a grant lets a role do with rows: `write` includes `read`. */
export type Access = 'read' | 'write'

/**
 * Which rows of a table a grant covers: `all`; `own`, the rows whose owner field (see
 * {@link PermissionRules.owners}) equals the user id; or `where`, the rows whose fields equal
 * every given value (`null` matches a field without a value).
 */
export type RowScope = 'all' | 'own' | { readonly where: Readonly<Record<string, FieldValue>> }

/** What one role may do with one table. */
export interface TableGrant {
  readonly access: Access
  readonly rows: RowScope
}

/** What one role grants, by table; a table a role does not name is closed to it. */
export interface RoleGrant {
  readonly tables: Readonly<Record<string, TableGrant>>
}

/**
 * Who may read and write which rows, checked against a schema by `parsePermissionRules`.
 * A user's access is the union of the grants of their roles.
 */
export interface PermissionRules {
  /** The grants of each role, by role name. */
  readonly roles: Readonly<Record<string, RoleGrant>>
  /** The owner field of each table that has one: a string or reference field holding a user id. */
  readonly owners: Readonly<Record<string, string>>
}

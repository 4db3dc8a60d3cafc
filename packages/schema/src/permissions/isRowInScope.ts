import type { RowValues } from '../Schema.ts'
import type { PermissionRules, RowScope } from './PermissionRules.ts'
import type { UserIdentity } from './UserIdentity.ts'

function valueOf(values: RowValues, field: string): unknown {
  // A field the row does not hold counts as having no value, like a stored null.
  return Object.hasOwn(values, field) ? (values[field] ?? null) : null
}

/**
 * Checks whether a row's values fall in a grant's row scope for a user.
 * @param rules - validated permission rules (for the owner field of `own`)
 * @param user - the user
 * @param table - the table of the row
 * @param scope - the scope of one grant
 * @param values - the row's field values
 */
export function isRowInScope(
  rules: PermissionRules,
  user: UserIdentity,
  table: string,
  scope: RowScope,
  values: RowValues,
): boolean {
  if (scope === 'all') return true
  if (scope === 'own') {
    const ownerField = Object.hasOwn(rules.owners, table) ? rules.owners[table] : undefined
    return ownerField !== undefined && user.id !== '' && valueOf(values, ownerField) === user.id
  }
  return Object.entries(scope.where).every(
    ([field, expected]) => valueOf(values, field) === expected,
  )
}

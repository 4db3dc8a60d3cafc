import type { RowValues } from '../Schema.ts'
import { isRowInScope } from './isRowInScope.ts'
import type { PermissionRules } from './PermissionRules.ts'
import { tableGrantsOf } from './tableGrantsOf.ts'
import type { UserIdentity } from './UserIdentity.ts'

/**
 * Checks whether a user may read one row: some role of the user grants `read` or `write` on
 * the table with a row scope the row's values fall in. Unknown roles and tables grant nothing.
 * @param rules - validated permission rules
 * @param user - the user
 * @param table - the table of the row
 * @param values - the row's field values
 */
export function canRead(
  rules: PermissionRules,
  user: UserIdentity,
  table: string,
  values: RowValues,
): boolean {
  return tableGrantsOf(rules, user, table).some((grant) =>
    isRowInScope(rules, user, table, grant.rows, values),
  )
}

import type { PermissionRules, TableGrant } from './PermissionRules.ts'
import type { UserIdentity } from './UserIdentity.ts'

/**
 * Lists the grants a user's roles hold on one table; unknown roles and tables give none.
 * Lookups use own keys only, so a role or table named like `constructor` finds nothing by accident.
 * @param rules - validated permission rules
 * @param user - the user
 * @param table - the table name
 */
export function tableGrantsOf(
  rules: PermissionRules,
  user: UserIdentity,
  table: string,
): TableGrant[] {
  const grants: TableGrant[] = []
  for (const roleName of user.roles) {
    if (!Object.hasOwn(rules.roles, roleName)) continue
    const role = rules.roles[roleName]
    if (role === undefined || !Object.hasOwn(role.tables, table)) continue
    const grant = role.tables[table]
    if (grant !== undefined) grants.push(grant)
  }
  return grants
}

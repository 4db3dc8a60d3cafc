import type { PermissionRules } from './PermissionRules.ts'
import type { UserIdentity } from './UserIdentity.ts'

/**
 * Lists the tables of which a user may read at least some rows (a grant of any access and
 * any row scope), sorted by name. Unknown roles grant nothing.
 * @param rules - validated permission rules
 * @param user - the user
 */
export function readableTables(rules: PermissionRules, user: UserIdentity): string[] {
  const tables = new Set<string>()
  for (const roleName of user.roles) {
    if (!Object.hasOwn(rules.roles, roleName)) continue
    for (const table of Object.keys(rules.roles[roleName]?.tables ?? {})) tables.add(table)
  }
  return [...tables].sort()
}

import { combinePermissions } from './combinePermissions.ts'
import { evaluateLifecycle } from './evaluateLifecycle.ts'
import type { LifecycleRule } from './LifecycleRule.ts'
import type { LifecycleState } from './LifecycleState.ts'
import type { SyncPermission } from './SyncPermission.ts'

/**
 * Evaluates the platform rules and then an app's stricter rules on the same state, and
 * combines the answers so the strictest wins per field; on a tie the platform's reason is kept.
 * @param state - the lifecycle state, possibly carrying the app's own signals for its rules
 * @param rules - the app's rules, evaluated in order; each returns a permission or `undefined`
 * @returns a permission never more permissive than `evaluateLifecycle(state)`
 * @throws TypeError naming the field when `state` is invalid or a rule returns an invalid
 *   permission
 */
export function evaluateWithRules<S extends LifecycleState>(
  state: S,
  rules: readonly LifecycleRule<S>[],
): SyncPermission {
  const permissions = [evaluateLifecycle(state)]
  for (const rule of rules) {
    const permission = rule(state)
    if (permission !== undefined) permissions.push(permission)
  }
  return combinePermissions(...permissions)
}

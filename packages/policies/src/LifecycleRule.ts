import type { LifecycleState } from './LifecycleState.ts'
import type { SyncPermission } from './SyncPermission.ts'

/**
 * An app's own rule on top of the platform rules, e.g. "only on Wi-Fi" or "not below 15%
 * battery": it returns a permission to restrict sync, or `undefined` to leave it alone. Rules
 * can only restrict: their answer is combined with the platform's by `combinePermissions`.
 * `S` lets an app carry its own signals (network type, battery level) beside the lifecycle.
 */
export type LifecycleRule<S extends LifecycleState = LifecycleState> = (
  state: S,
) => SyncPermission | undefined

import { assertSyncPermission } from './assertSyncPermission.ts'
import { ONGOING_SYNC } from './SyncPermission.ts'
import type { OngoingSync, SyncPermission } from './SyncPermission.ts'

/**
 * Combines several permissions so the stricter answer wins on every field: `false` beats
 * `true`, and for the ongoing sync `stop` beats `pause` beats `continue`. The reason is taken
 * from the most restrictive input (ongoing sync first, then the number of denied fields; the
 * earlier input wins a tie), so list the platform's own permission first.
 * @param permissions - the answers to combine; with none, everything is allowed
 * @returns a fresh permission never more permissive than any input
 * @throws TypeError naming the input and field when one of them is not a valid permission
 */
export function combinePermissions(...permissions: SyncPermission[]): SyncPermission {
  permissions.forEach((permission, index) => {
    assertSyncPermission(permission, `permissions[${index}]`)
  })
  let strictest: SyncPermission | undefined
  for (const permission of permissions) {
    if (strictest === undefined || restrictiveness(permission) > restrictiveness(strictest)) {
      strictest = permission
    }
  }
  return {
    startSync: permissions.every((permission) => permission.startSync),
    scheduledSync: permissions.every((permission) => permission.scheduledSync),
    ongoingSync: permissions.reduce<OngoingSync>(
      (worst, permission) =>
        ongoingRank(permission.ongoingSync) > ongoingRank(worst) ? permission.ongoingSync : worst,
      'continue',
    ),
    live: permissions.every((permission) => permission.live),
    reason: strictest?.reason ?? 'Sync is on: no rule holds it back.',
  }
}

function ongoingRank(ongoingSync: OngoingSync): number {
  return ONGOING_SYNC.indexOf(ongoingSync)
}

function restrictiveness(permission: SyncPermission): number {
  const denied = [permission.startSync, permission.scheduledSync, permission.live].filter(
    (allowed) => !allowed,
  ).length
  // The ongoing sync dominates: pausing a running sync is felt more than a delayed start.
  return ongoingRank(permission.ongoingSync) * 4 + denied
}

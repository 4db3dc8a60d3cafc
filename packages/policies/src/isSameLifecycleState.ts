import type { LifecycleState } from './LifecycleState.ts'

/**
 * Tells whether two lifecycle states mean the same thing, treating an absent optional field
 * as its default; sources use it to notify only on real changes.
 * @param a - a valid lifecycle state
 * @param b - another valid lifecycle state
 */
export function isSameLifecycleState(a: LifecycleState, b: LifecycleState): boolean {
  return (
    a.platform === b.platform &&
    a.app === b.app &&
    a.screenLocked === b.screenLocked &&
    a.online === b.online &&
    (a.windowsBackgroundApps ?? 'power-optimized') ===
      (b.windowsBackgroundApps ?? 'power-optimized') &&
    (a.batterySaver ?? false) === (b.batterySaver ?? false)
  )
}

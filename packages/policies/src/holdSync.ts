import type { OngoingSync, SyncPermission } from './SyncPermission.ts'

/**
 * Builds the permission a rule returns to hold sync back: nothing starts, nothing is
 * scheduled, no live connection, and a running sync pauses (or stops).
 * @param reason - one sentence a person understands, e.g. `'Sync waits for Wi-Fi.'`
 * @param ongoingSync - what a running sync does; default `'pause'`
 * @throws TypeError when `reason` is empty
 */
export function holdSync(
  reason: string,
  ongoingSync: Exclude<OngoingSync, 'continue'> = 'pause',
): SyncPermission {
  if (reason.trim() === '') throw new TypeError('holdSync: reason must be a non-empty sentence.')
  return { startSync: false, scheduledSync: false, ongoingSync, live: false, reason }
}

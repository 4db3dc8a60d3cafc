import { describeValue } from '@rowsync/schema'
import { ONGOING_SYNC } from './SyncPermission.ts'
import type { SyncPermission } from './SyncPermission.ts'

/**
 * Checks that a value is a complete sync permission, e.g. one returned by an app's own rule.
 * @param value - anything
 * @param name - what to call the value in the error message; default `'permission'`
 * @throws TypeError naming the offending field when the value is not an object, a field is
 *   missing, or a field has the wrong type or an unknown value
 */
export function assertSyncPermission(
  value: unknown,
  name = 'permission',
): asserts value is SyncPermission {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(
      `Invalid sync permission: ${name} must be an object, got ${describeValue(value)}.`,
    )
  }
  const record = value as Record<string, unknown>
  const fail = (field: string, expected: string): never => {
    throw new TypeError(
      `Invalid sync permission: ${name}.${field} must be ${expected}, got ${describeValue(record[field])}.`,
    )
  }

  for (const field of ['startSync', 'scheduledSync', 'live'] as const) {
    if (typeof record[field] !== 'boolean') fail(field, 'a boolean')
  }
  const ongoing = record.ongoingSync
  if (typeof ongoing !== 'string' || !(ONGOING_SYNC as readonly string[]).includes(ongoing)) {
    fail('ongoingSync', `one of ${ONGOING_SYNC.join(', ')}`)
  }
  if (typeof record.reason !== 'string' || record.reason.trim() === '') {
    fail('reason', 'a non-empty string')
  }
}

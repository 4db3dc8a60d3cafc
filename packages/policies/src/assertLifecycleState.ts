import { describeValue } from '@rowsync/schema'
import { APP_STATES, PLATFORMS, WINDOWS_BACKGROUND_APPS } from './LifecycleState.ts'
import type { LifecycleState } from './LifecycleState.ts'

/**
 * Checks that a value is a complete, well-typed lifecycle state; extra keys are allowed and
 * ignored, and an optional field set to `undefined` counts as absent.
 * @param value - anything, e.g. a state an app assembled from platform events
 * @param name - what to call the value in the error message; default `'state'`
 * @throws TypeError naming the offending field when the value is not an object, a field is
 *   missing, or a field has the wrong type or an unknown value
 */
export function assertLifecycleState(
  value: unknown,
  name = 'state',
): asserts value is LifecycleState {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(
      `Invalid lifecycle state: ${name} must be an object, got ${describeValue(value)}.`,
    )
  }
  const record = value as Record<string, unknown>
  const fail = (field: string, expected: string): never => {
    throw new TypeError(
      `Invalid lifecycle state: ${name}.${field} must be ${expected}, got ${describeValue(record[field])}.`,
    )
  }
  const oneOf = (values: readonly string[]): string => `one of ${values.join(', ')}`

  if (!isOneOf(record.platform, PLATFORMS)) fail('platform', oneOf(PLATFORMS))
  if (!isOneOf(record.app, APP_STATES)) fail('app', oneOf(APP_STATES))
  if (typeof record.screenLocked !== 'boolean') fail('screenLocked', 'a boolean')
  if (typeof record.online !== 'boolean') fail('online', 'a boolean')
  if (
    record.windowsBackgroundApps !== undefined &&
    !isOneOf(record.windowsBackgroundApps, WINDOWS_BACKGROUND_APPS)
  ) {
    fail('windowsBackgroundApps', oneOf(WINDOWS_BACKGROUND_APPS))
  }
  if (record.batterySaver !== undefined && typeof record.batterySaver !== 'boolean') {
    fail('batterySaver', 'a boolean')
  }
}

function isOneOf<T extends string>(value: unknown, values: readonly T[]): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value)
}

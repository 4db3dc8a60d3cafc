export type { AppState, LifecycleState, Platform, WindowsBackgroundApps } from './LifecycleState.ts'
export { APP_STATES, PLATFORMS, WINDOWS_BACKGROUND_APPS } from './LifecycleState.ts'
export type { OngoingSync, SyncPermission } from './SyncPermission.ts'
export { ONGOING_SYNC } from './SyncPermission.ts'
export { assertLifecycleState } from './assertLifecycleState.ts'
export { assertSyncPermission } from './assertSyncPermission.ts'
export { evaluateLifecycle } from './evaluateLifecycle.ts'
export { combinePermissions } from './combinePermissions.ts'
export type { LifecycleRule } from './LifecycleRule.ts'
export { holdSync } from './holdSync.ts'
export { evaluateWithRules } from './evaluateWithRules.ts'
export { isSameLifecycleState } from './isSameLifecycleState.ts'
export type { LifecycleListener, LifecycleSource } from './sources/LifecycleSource.ts'
export { ManualLifecycleSource } from './sources/ManualLifecycleSource.ts'
export { NodeLifecycleSource } from './sources/NodeLifecycleSource.ts'
export { BrowserLifecycleSource } from './sources/BrowserLifecycleSource.ts'
export type {
  BrowserDocumentLike,
  BrowserLifecycleSourceOptions,
  BrowserWindowLike,
} from './sources/BrowserLifecycleSource.ts'

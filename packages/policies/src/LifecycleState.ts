/** The runtime a device's client runs on. */
export type Platform = 'android' | 'ios' | 'windows' | 'browser' | 'node'

/** Every platform, in the order the docs list them. */
export const PLATFORMS: readonly Platform[] = ['android', 'ios', 'windows', 'browser', 'node']

/** Whether the app is on screen, running out of sight, or gone. */
export type AppState = 'foreground' | 'background' | 'closed'

/** Every app state. */
export const APP_STATES: readonly AppState[] = ['foreground', 'background', 'closed']

/** The Windows setting "Let this app run in the background". */
export type WindowsBackgroundApps = 'always' | 'power-optimized' | 'never'

/** Every value of the Windows background setting. */
export const WINDOWS_BACKGROUND_APPS: readonly WindowsBackgroundApps[] = [
  'always',
  'power-optimized',
  'never',
]

/** What the device and operating system say right now; the input of every lifecycle rule. */
export interface LifecycleState {
  platform: Platform
  app: AppState
  screenLocked: boolean
  online: boolean
  /** Windows only; default `'power-optimized'` (the recommended setting). */
  windowsBackgroundApps?: WindowsBackgroundApps
  /** Whether the OS battery saver holds background apps; default `false`. */
  batterySaver?: boolean
}

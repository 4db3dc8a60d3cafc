import { assertLifecycleState } from './assertLifecycleState.ts'
import type { LifecycleState } from './LifecycleState.ts'
import type { OngoingSync, SyncPermission } from './SyncPermission.ts'

/**
 * Decides what sync may do in a lifecycle state, following the mobile offline platform rules:
 * everything in the foreground with the screen unlocked and a network; in the background or
 * with the screen locked no new or scheduled sync and no live connection, while a running sync
 * continues or pauses as the platform allows; offline nothing starts; closed everything stops.
 * @param state - the current lifecycle state; `windowsBackgroundApps` defaults to
 *   `'power-optimized'` and `batterySaver` to `false`; Node counts as foreground and unlocked
 * @returns a fresh permission with a reason a person understands
 * @throws TypeError naming the field when `state` is not a valid lifecycle state
 */
export function evaluateLifecycle(state: LifecycleState): SyncPermission {
  assertLifecycleState(state)
  // A server process has no screen and no app switcher: only "closed" applies to it.
  const away = state.platform !== 'node' && (state.app === 'background' || state.screenLocked)

  // Precedence: closed beats offline, offline beats being away, so the reason names the cause
  // that would still hold sync back if the others went away.
  if (state.app === 'closed') return held('stop', 'Sync stopped: the app is closed.')
  if (!state.online) {
    return held('pause', 'Waiting for a network connection; changes are kept on this device.')
  }
  if (!away) {
    return {
      startSync: true,
      scheduledSync: true,
      ongoingSync: 'continue',
      live: true,
      reason: 'Sync is on: changes are sent and received as they happen.',
    }
  }
  return evaluateAway(state)
}

/** Background or screen locked: nothing new starts; the platform decides the running sync. */
function evaluateAway(state: LifecycleState): SyncPermission {
  const where = awayPhrase(state)
  const continues = held(
    'continue',
    `Sync on hold ${where}: a sync already running finishes, and new changes sync when you return to the app.`,
  )
  switch (state.platform) {
    case 'android':
    case 'browser':
    case 'node':
      return continues
    case 'ios':
      return held('pause', `Sync paused: iOS pauses sync ${where}.`)
    case 'windows':
      switch (state.windowsBackgroundApps ?? 'power-optimized') {
        case 'always':
          return continues
        case 'power-optimized':
          return state.batterySaver === true
            ? held('pause', 'Sync paused: Windows battery saver holds apps in the background.')
            : continues
        case 'never':
          return held(
            'pause',
            'Sync paused: Windows is set to never let this app run in the background.',
          )
      }
  }
}

function awayPhrase(state: LifecycleState): string {
  if (state.app === 'background' && state.screenLocked) {
    return 'while the app is in the background and the screen is locked'
  }
  return state.app === 'background'
    ? 'while the app is in the background'
    : 'while the screen is locked'
}

function held(ongoingSync: OngoingSync, reason: string): SyncPermission {
  return { startSync: false, scheduledSync: false, ongoingSync, live: false, reason }
}

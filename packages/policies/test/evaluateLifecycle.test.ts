import { describe, expect, it } from 'vitest'
import { evaluateLifecycle } from '@rowsync/policies'
import type {
  AppState,
  LifecycleState,
  OngoingSync,
  Platform,
  SyncPermission,
  WindowsBackgroundApps,
} from '@rowsync/policies'

const foreground = (platform: Platform): LifecycleState => ({
  platform,
  app: 'foreground',
  screenLocked: false,
  online: true,
})

type Grants = Omit<SyncPermission, 'reason'>

const ALLOWED: Grants = {
  startSync: true,
  scheduledSync: true,
  ongoingSync: 'continue',
  live: true,
}
const held = (ongoingSync: OngoingSync): Grants => ({
  startSync: false,
  scheduledSync: false,
  ongoingSync,
  live: false,
})

describe('evaluateLifecycle, one case per rule sentence', () => {
  it('allows everything in the foreground, unlocked and online, on every platform', () => {
    for (const platform of ['android', 'ios', 'windows', 'browser', 'node'] as const) {
      expect(evaluateLifecycle(foreground(platform))).toMatchObject(ALLOWED)
    }
  })

  it('Android: an ongoing sync continues in the background; nothing new starts', () => {
    const permission = evaluateLifecycle({ ...foreground('android'), app: 'background' })
    expect(permission).toMatchObject(held('continue'))
  })

  it('Android: the same holds with the screen locked', () => {
    const permission = evaluateLifecycle({ ...foreground('android'), screenLocked: true })
    expect(permission).toMatchObject(held('continue'))
    expect(permission.reason).toMatch(/screen is locked/)
  })

  it('iOS: an ongoing sync pauses in the background, and the reason says so', () => {
    const permission = evaluateLifecycle({ ...foreground('ios'), app: 'background' })
    expect(permission).toEqual({
      ...held('pause'),
      reason: 'Sync paused: iOS pauses sync while the app is in the background.',
    })
  })

  it('iOS: an ongoing sync pauses with the screen locked', () => {
    const permission = evaluateLifecycle({ ...foreground('ios'), screenLocked: true })
    expect(permission).toMatchObject(held('pause'))
    expect(permission.reason).toBe('Sync paused: iOS pauses sync while the screen is locked.')
  })

  it('Windows, Always: an ongoing sync continues when minimized, even under battery saver', () => {
    const state: LifecycleState = {
      ...foreground('windows'),
      app: 'background',
      windowsBackgroundApps: 'always',
      batterySaver: true,
    }
    expect(evaluateLifecycle(state)).toMatchObject(held('continue'))
  })

  it('Windows, Power optimized (the default): an ongoing sync continues when locked', () => {
    const state: LifecycleState = { ...foreground('windows'), screenLocked: true }
    expect(evaluateLifecycle(state)).toMatchObject(held('continue'))
  })

  it('Windows, Power optimized: battery saver holding background apps pauses it', () => {
    const state: LifecycleState = {
      ...foreground('windows'),
      app: 'background',
      windowsBackgroundApps: 'power-optimized',
      batterySaver: true,
    }
    const permission = evaluateLifecycle(state)
    expect(permission).toMatchObject(held('pause'))
    expect(permission.reason).toMatch(/battery saver/)
  })

  it('Windows, Never: an ongoing sync pauses in the background', () => {
    const state: LifecycleState = {
      ...foreground('windows'),
      app: 'background',
      windowsBackgroundApps: 'never',
    }
    const permission = evaluateLifecycle(state)
    expect(permission).toMatchObject(held('pause'))
    expect(permission.reason).toMatch(/never let this app run in the background/)
  })

  it('Browser: a hidden tab is treated as Android', () => {
    const permission = evaluateLifecycle({ ...foreground('browser'), app: 'background' })
    expect(permission).toMatchObject(held('continue'))
  })

  it('Node: always treated as foreground and unlocked', () => {
    const permission = evaluateLifecycle({
      platform: 'node',
      app: 'background',
      screenLocked: true,
      online: true,
    })
    expect(permission).toMatchObject(ALLOWED)
  })

  it('Offline: nothing starts and an ongoing sync pauses; the reason names the network', () => {
    const permission = evaluateLifecycle({ ...foreground('android'), online: false })
    expect(permission).toEqual({
      ...held('pause'),
      reason: 'Waiting for a network connection; changes are kept on this device.',
    })
  })

  it('Closed: everything stops, on every platform, even offline', () => {
    for (const platform of ['android', 'ios', 'windows', 'browser', 'node'] as const) {
      const permission = evaluateLifecycle({ ...foreground(platform), app: 'closed' })
      expect(permission).toEqual({ ...held('stop'), reason: 'Sync stopped: the app is closed.' })
      const offline = evaluateLifecycle({ ...foreground(platform), app: 'closed', online: false })
      expect(offline.ongoingSync).toBe('stop')
    }
  })

  it('Offline beats being away: the reason names the network, not iOS', () => {
    const permission = evaluateLifecycle({
      ...foreground('ios'),
      app: 'background',
      online: false,
    })
    expect(permission.reason).toMatch(/network/)
  })

  it('returns a fresh object each time', () => {
    const state = foreground('android')
    expect(evaluateLifecycle(state)).not.toBe(evaluateLifecycle(state))
  })
})

// The expectation below is written from the rule table in DESIGN.md, independently of the
// implementation: what a running sync does while the app is away (background or screen
// locked), and a word the reason must contain. Windows keys add the setting and battery saver.
const WHILE_AWAY: Record<string, { ongoingSync: OngoingSync; reason: RegExp }> = {
  android: { ongoingSync: 'continue', reason: /already running finishes/ },
  ios: { ongoingSync: 'pause', reason: /iOS pauses sync/ },
  browser: { ongoingSync: 'continue', reason: /already running finishes/ },
  'windows always saver-off': { ongoingSync: 'continue', reason: /already running finishes/ },
  'windows always saver-on': { ongoingSync: 'continue', reason: /already running finishes/ },
  'windows power-optimized saver-off': {
    ongoingSync: 'continue',
    reason: /already running finishes/,
  },
  'windows power-optimized saver-on': { ongoingSync: 'pause', reason: /battery saver/ },
  'windows never saver-off': { ongoingSync: 'pause', reason: /never let this app run/ },
  'windows never saver-on': { ongoingSync: 'pause', reason: /never let this app run/ },
}

function expected(state: LifecycleState): {
  permission: Omit<SyncPermission, 'reason'>
  reason: RegExp
} {
  if (state.app === 'closed') return { permission: held('stop'), reason: /app is closed/ }
  if (!state.online) return { permission: held('pause'), reason: /network connection/ }
  const inFront = state.app === 'foreground' && !state.screenLocked
  if (state.platform === 'node' || inFront) {
    return { permission: ALLOWED, reason: /Sync is on/ }
  }
  const setting = state.windowsBackgroundApps ?? 'power-optimized'
  const saver = state.batterySaver === true ? 'saver-on' : 'saver-off'
  const key = state.platform === 'windows' ? `windows ${setting} ${saver}` : state.platform
  const row = WHILE_AWAY[key]
  if (row === undefined) throw new Error(`No expectation for ${key}`)
  return { permission: held(row.ongoingSync), reason: row.reason }
}

interface Case {
  name: string
  state: LifecycleState
}

function everyCombination(): Case[] {
  const cases: Case[] = []
  const platforms: Platform[] = ['android', 'ios', 'windows', 'browser', 'node']
  const apps: AppState[] = ['foreground', 'background', 'closed']
  const settings: (WindowsBackgroundApps | undefined)[] = [
    undefined,
    'always',
    'power-optimized',
    'never',
  ]
  const savers: (boolean | undefined)[] = [undefined, false, true]
  for (const platform of platforms) {
    for (const app of apps) {
      for (const screenLocked of [false, true]) {
        for (const online of [true, false]) {
          for (const setting of settings) {
            for (const saver of savers) {
              const state: LifecycleState = { platform, app, screenLocked, online }
              if (setting !== undefined) state.windowsBackgroundApps = setting
              if (saver !== undefined) state.batterySaver = saver
              const name = [
                platform,
                app,
                screenLocked ? 'locked' : 'unlocked',
                online ? 'online' : 'offline',
                `setting=${setting ?? 'default'}`,
                `saver=${saver ?? 'default'}`,
              ].join(' ')
              cases.push({ name, state })
            }
          }
        }
      }
    }
  }
  return cases
}

describe('evaluateLifecycle, every combination against the rule table', () => {
  const cases = everyCombination()

  it('covers platform × app × lock × network × Windows setting × battery saver', () => {
    expect(cases).toHaveLength(5 * 3 * 2 * 2 * 4 * 3)
  })

  it.each(cases)('$name', ({ state }) => {
    const { permission, reason } = expected(state)
    const actual = evaluateLifecycle(state)
    expect(actual).toMatchObject(permission)
    expect(actual.reason).toMatch(reason)
    expect(actual.reason).toMatch(/^[A-Z].*\.$/)
  })
})

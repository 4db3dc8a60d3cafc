import { describe, expect, it } from 'vitest'
import {
  combinePermissions,
  evaluateLifecycle,
  evaluateWithRules,
  holdSync,
} from '@rowsync/policies'
import type { LifecycleRule, LifecycleState, SyncPermission } from '@rowsync/policies'

const allowed: SyncPermission = {
  startSync: true,
  scheduledSync: true,
  ongoingSync: 'continue',
  live: true,
  reason: 'All good.',
}

describe('combinePermissions', () => {
  it('returns an equal copy of a single permission', () => {
    const combined = combinePermissions(allowed)
    expect(combined).toEqual(allowed)
    expect(combined).not.toBe(allowed)
  })

  it('lets false beat true on every boolean field', () => {
    for (const field of ['startSync', 'scheduledSync', 'live'] as const) {
      const denied = { ...allowed, [field]: false, reason: `No ${field}.` }
      expect(combinePermissions(allowed, denied)[field]).toBe(false)
      expect(combinePermissions(denied, allowed)[field]).toBe(false)
    }
  })

  it('orders the ongoing sync stop > pause > continue', () => {
    const pause = { ...allowed, ongoingSync: 'pause' as const }
    const stop = { ...allowed, ongoingSync: 'stop' as const }
    expect(combinePermissions(allowed, pause).ongoingSync).toBe('pause')
    expect(combinePermissions(pause, stop, allowed).ongoingSync).toBe('stop')
    expect(combinePermissions(allowed, allowed).ongoingSync).toBe('continue')
  })

  it('can be stricter than every input, field by field', () => {
    const noStart = { ...allowed, startSync: false, reason: 'No start.' }
    const notLive = { ...allowed, live: false, reason: 'Not live.' }
    expect(combinePermissions(noStart, notLive)).toMatchObject({ startSync: false, live: false })
  })

  it('takes the reason from the most restrictive input', () => {
    const paused = holdSync('Paused by the app.')
    const stopped = holdSync('Stopped by the app.', 'stop')
    const noStart = { ...allowed, startSync: false, reason: 'No start.' }
    expect(combinePermissions(allowed, noStart).reason).toBe('No start.')
    expect(combinePermissions(noStart, paused).reason).toBe('Paused by the app.')
    expect(combinePermissions(paused, stopped, noStart).reason).toBe('Stopped by the app.')
  })

  it('keeps the reason of the earlier input on a tie', () => {
    const first = holdSync('First.')
    const second = holdSync('Second.')
    expect(combinePermissions(first, second).reason).toBe('First.')
  })

  it('allows everything when given nothing', () => {
    expect(combinePermissions()).toMatchObject({
      startSync: true,
      scheduledSync: true,
      ongoingSync: 'continue',
      live: true,
    })
  })

  it('throws a TypeError naming the input and field of an invalid permission', () => {
    const broken = { ...allowed, ongoingSync: 'later' } as unknown as SyncPermission
    expect(() => combinePermissions(allowed, broken)).toThrow(TypeError)
    expect(() => combinePermissions(allowed, broken)).toThrow('permissions[1].ongoingSync')
    const noReason = { ...allowed, reason: '' }
    expect(() => combinePermissions(noReason)).toThrow('permissions[0].reason')
  })
})

describe('holdSync', () => {
  it('holds everything and pauses by default', () => {
    expect(holdSync('Sync waits for Wi-Fi.')).toEqual({
      startSync: false,
      scheduledSync: false,
      ongoingSync: 'pause',
      live: false,
      reason: 'Sync waits for Wi-Fi.',
    })
  })

  it('can stop a running sync', () => {
    expect(holdSync('Stopped.', 'stop').ongoingSync).toBe('stop')
  })

  it('refuses an empty reason', () => {
    expect(() => holdSync(' ')).toThrow(TypeError)
  })
})

interface PhoneState extends LifecycleState {
  network: 'wifi' | 'cellular' | 'none'
  batteryLevel: number
}

const onlyOnWifi: LifecycleRule<PhoneState> = (state) =>
  state.network === 'cellular' ? holdSync('Sync waits for Wi-Fi.') : undefined

const notBelow15Percent: LifecycleRule<PhoneState> = (state) =>
  state.batteryLevel < 0.15 ? holdSync('Sync waits: the battery is below 15%.') : undefined

const phone = (changes: Partial<PhoneState> = {}): PhoneState => ({
  platform: 'android',
  app: 'foreground',
  screenLocked: false,
  online: true,
  network: 'wifi',
  batteryLevel: 0.8,
  ...changes,
})

describe('evaluateWithRules', () => {
  const rules = [onlyOnWifi, notBelow15Percent]

  it('equals evaluateLifecycle when no rule objects', () => {
    expect(evaluateWithRules(phone(), rules)).toEqual(evaluateLifecycle(phone()))
    expect(evaluateWithRules(phone(), [])).toEqual(evaluateLifecycle(phone()))
  })

  it('applies an app rule on top of the platform rules, with its reason', () => {
    expect(evaluateWithRules(phone({ network: 'cellular' }), rules)).toEqual(
      holdSync('Sync waits for Wi-Fi.'),
    )
    expect(evaluateWithRules(phone({ batteryLevel: 0.1 }), rules).reason).toMatch(/battery/)
  })

  it('keeps the platform reason when the platform is at least as strict', () => {
    const closed = phone({ app: 'closed', network: 'cellular' })
    expect(evaluateWithRules(closed, rules)).toEqual(evaluateLifecycle(closed))
    const offline = phone({ online: false, network: 'cellular' })
    expect(evaluateWithRules(offline, rules).reason).toMatch(/network connection/)
  })

  it('lets a rule pause a sync the platform would let continue', () => {
    const background = phone({ app: 'background', batteryLevel: 0.05 })
    expect(evaluateLifecycle(background).ongoingSync).toBe('continue')
    expect(evaluateWithRules(background, rules).ongoingSync).toBe('pause')
  })

  it('never lets a rule grant more than the platform', () => {
    const generous: LifecycleRule = () => ({
      startSync: true,
      scheduledSync: true,
      ongoingSync: 'continue',
      live: true,
      reason: 'Go ahead.',
    })
    const ios = { ...phone(), platform: 'ios' as const, app: 'background' as const }
    expect(evaluateWithRules(ios, [generous])).toEqual(evaluateLifecycle(ios))
  })

  it('throws a TypeError when a rule returns an invalid permission', () => {
    const broken: LifecycleRule = () => ({ ...holdSync('x'), live: 'no' }) as never
    expect(() => evaluateWithRules(phone(), [broken])).toThrow(/permissions\[1\]\.live/)
  })

  it('throws a TypeError naming the field for an invalid state', () => {
    const state = { ...phone(), app: 'asleep' } as unknown as PhoneState
    expect(() => evaluateWithRules(state, rules)).toThrow(/state\.app/)
  })
})

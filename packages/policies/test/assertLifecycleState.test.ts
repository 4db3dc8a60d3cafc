import { describe, expect, it } from 'vitest'
import { assertLifecycleState, evaluateLifecycle } from '@rowsync/policies'

const valid = { platform: 'android', app: 'foreground', screenLocked: false, online: true }

/** Calls evaluateLifecycle with input the type system would refuse, as JavaScript callers can. */
const evaluateUntrusted = (value: unknown) => () => evaluateLifecycle(value as never)

describe('evaluateLifecycle on invalid input', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'android'],
    ['a number', 42],
    ['an array', [valid]],
  ])('throws a TypeError naming the state when given %s', (_label, value) => {
    expect(evaluateUntrusted(value)).toThrow(TypeError)
    expect(evaluateUntrusted(value)).toThrow(/state must be an object/)
  })

  it.each([
    ['platform', { platform: 'linux' }],
    ['platform', { platform: 'Android' }],
    ['platform', { platform: undefined }],
    ['app', { app: 'minimized' }],
    ['app', { app: 1 }],
    ['screenLocked', { screenLocked: 'no' }],
    ['screenLocked', { screenLocked: null }],
    ['online', { online: 1 }],
    ['windowsBackgroundApps', { windowsBackgroundApps: 'sometimes' }],
    ['windowsBackgroundApps', { windowsBackgroundApps: true }],
    ['batterySaver', { batterySaver: 'on' }],
  ])('throws a TypeError naming %s when it has a wrong value', (field, patch) => {
    const state = { ...valid, ...patch }
    expect(evaluateUntrusted(state)).toThrow(TypeError)
    expect(evaluateUntrusted(state)).toThrow(`state.${field} must be`)
  })

  it.each(['platform', 'app', 'screenLocked', 'online'])(
    'throws a TypeError naming %s when it is missing',
    (field) => {
      const state: Record<string, unknown> = { ...valid }
      delete state[field]
      expect(evaluateUntrusted(state)).toThrow(TypeError)
      expect(evaluateUntrusted(state)).toThrow(`state.${field} must be`)
    },
  )

  it('shows the bad value in the message, shortened when long', () => {
    expect(evaluateUntrusted({ ...valid, platform: 'linux' })).toThrow('got "linux"')
    expect(evaluateUntrusted({ ...valid, platform: 'x'.repeat(500) })).toThrow(
      'got a string of 500 characters',
    )
  })
})

describe('assertLifecycleState', () => {
  it('accepts a state without the optional fields', () => {
    expect(() => assertLifecycleState(valid)).not.toThrow()
  })

  it('treats optional fields set to undefined as absent', () => {
    const state = { ...valid, windowsBackgroundApps: undefined, batterySaver: undefined }
    expect(() => assertLifecycleState(state)).not.toThrow()
  })

  it('ignores extra keys an app carries for its own rules', () => {
    expect(() => assertLifecycleState({ ...valid, network: 'wifi' })).not.toThrow()
  })

  it('uses the given name in its message', () => {
    expect(() => assertLifecycleState({ ...valid, online: 'yes' }, 'initial')).toThrow(
      'initial.online must be a boolean',
    )
  })
})

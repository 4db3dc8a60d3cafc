import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  APP_STATES,
  ONGOING_SYNC,
  PLATFORMS,
  WINDOWS_BACKGROUND_APPS,
  assertSyncPermission,
  combinePermissions,
  evaluateLifecycle,
  evaluateWithRules,
} from '@rowsync/policies'
import type { LifecycleRule, LifecycleState, SyncPermission } from '@rowsync/policies'

const lifecycleState: fc.Arbitrary<LifecycleState> = fc.record(
  {
    platform: fc.constantFrom(...PLATFORMS),
    app: fc.constantFrom(...APP_STATES),
    screenLocked: fc.boolean(),
    online: fc.boolean(),
    windowsBackgroundApps: fc.constantFrom(...WINDOWS_BACKGROUND_APPS),
    batterySaver: fc.boolean(),
  },
  { requiredKeys: ['platform', 'app', 'screenLocked', 'online'] },
)

const permission: fc.Arbitrary<SyncPermission> = fc.record({
  startSync: fc.boolean(),
  scheduledSync: fc.boolean(),
  ongoingSync: fc.constantFrom(...ONGOING_SYNC),
  live: fc.boolean(),
  reason: fc.constantFrom('A.', 'B.', 'C.'),
})

const rank = (value: SyncPermission['ongoingSync']): number => ONGOING_SYNC.indexOf(value)

/** True when `a` grants nothing that `b` does not. */
const grantsNoMoreThan = (a: SyncPermission, b: SyncPermission): boolean =>
  (!a.startSync || b.startSync) &&
  (!a.scheduledSync || b.scheduledSync) &&
  (!a.live || b.live) &&
  rank(a.ongoingSync) >= rank(b.ongoingSync)

const grants = ({ reason: _reason, ...rest }: SyncPermission) => rest

describe('evaluateLifecycle properties', () => {
  it('is total on valid states and answers with a valid permission and a sentence', () => {
    fc.assert(
      fc.property(lifecycleState, (state) => {
        const answer = evaluateLifecycle(state)
        assertSyncPermission(answer)
        expect(answer.reason).toMatch(/^[A-Z][^]*\.$/)
      }),
    )
  })

  it('always stops everything when the app is closed', () => {
    fc.assert(
      fc.property(lifecycleState, (state) => {
        const answer = evaluateLifecycle({ ...state, app: 'closed' })
        expect(grants(answer)).toEqual({
          startSync: false,
          scheduledSync: false,
          ongoingSync: 'stop',
          live: false,
        })
      }),
    )
  })

  it('never starts anything and never lets a sync run on while offline', () => {
    fc.assert(
      fc.property(lifecycleState, (state) => {
        const answer = evaluateLifecycle({ ...state, online: false })
        expect(answer.startSync || answer.scheduledSync || answer.live).toBe(false)
        expect(answer.ongoingSync).not.toBe('continue')
      }),
    )
  })

  it('grants a start, a schedule and a live connection together or not at all', () => {
    fc.assert(
      fc.property(lifecycleState, (state) => {
        const { startSync, scheduledSync, live, ongoingSync } = evaluateLifecycle(state)
        expect(new Set([startSync, scheduledSync, live]).size).toBe(1)
        if (live) expect(ongoingSync).toBe('continue')
      }),
    )
  })

  it('ignores app state and screen lock on Node, except closed', () => {
    fc.assert(
      fc.property(lifecycleState, (state) => {
        fc.pre(state.app !== 'closed')
        const node = { ...state, platform: 'node' as const }
        const inFront = { ...node, app: 'foreground' as const, screenLocked: false }
        expect(evaluateLifecycle(node)).toEqual(evaluateLifecycle(inFront))
      }),
    )
  })

  it('throws nothing but a TypeError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        try {
          evaluateLifecycle(value as LifecycleState)
        } catch (error) {
          expect(error).toBeInstanceOf(TypeError)
        }
      }),
    )
  })
})

describe('combinePermissions properties', () => {
  it('never grants more than any input', () => {
    fc.assert(
      fc.property(fc.array(permission, { minLength: 1, maxLength: 6 }), (inputs) => {
        const combined = combinePermissions(...inputs)
        for (const input of inputs) expect(grantsNoMoreThan(combined, input)).toBe(true)
      }),
    )
  })

  it('grants what every input grants (it is the strictest, not stricter)', () => {
    fc.assert(
      fc.property(fc.array(permission, { minLength: 1, maxLength: 6 }), (inputs) => {
        const combined = combinePermissions(...inputs)
        expect(combined.startSync).toBe(inputs.every((input) => input.startSync))
        expect(rank(combined.ongoingSync)).toBe(Math.max(...inputs.map((i) => rank(i.ongoingSync))))
      }),
    )
  })

  it('takes its reason from an input, and the grants do not depend on order', () => {
    fc.assert(
      fc.property(fc.array(permission, { minLength: 1, maxLength: 6 }), (inputs) => {
        const combined = combinePermissions(...inputs)
        expect(inputs.map((input) => input.reason)).toContain(combined.reason)
        expect(grants(combinePermissions(...[...inputs].reverse()))).toEqual(grants(combined))
      }),
    )
  })

  it('is idempotent', () => {
    fc.assert(
      fc.property(permission, (input) => {
        expect(combinePermissions(input, input)).toEqual(input)
      }),
    )
  })
})

describe('evaluateWithRules properties', () => {
  it('never grants more than the platform rules alone', () => {
    fc.assert(
      fc.property(lifecycleState, fc.array(fc.option(permission)), (state, answers) => {
        const rules: LifecycleRule[] = answers.map((answer) => () => answer ?? undefined)
        const withRules = evaluateWithRules(state, rules)
        expect(grantsNoMoreThan(withRules, evaluateLifecycle(state))).toBe(true)
        for (const answer of answers) {
          if (answer !== null) expect(grantsNoMoreThan(withRules, answer)).toBe(true)
        }
      }),
    )
  })
})

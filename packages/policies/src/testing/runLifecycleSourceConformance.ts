import { describe, expect, it, onTestFinished } from 'vitest'
import { assertLifecycleState } from '../assertLifecycleState.ts'
import { evaluateLifecycle } from '../evaluateLifecycle.ts'
import { isSameLifecycleState } from '../isSameLifecycleState.ts'
import type { LifecycleState } from '../LifecycleState.ts'
import type { LifecycleSource } from '../sources/LifecycleSource.ts'

/** A fresh source plus the means to push it around, as a conformance run needs. */
export interface LifecycleSourceHarness {
  source: LifecycleSource
  /**
   * Puts the source into `state` through its real inputs (an `update`, fake browser events),
   * producing at most one state change; driving into the current state must be possible.
   */
  drive(state: LifecycleState): void
  /**
   * A walk of states the driver can reach one after the other, each one step from the state
   * before it (the first from the initial state). Repeats are welcome: they test no-ops.
   * A source with one fixed state lists just that state.
   */
  walk: readonly LifecycleState[]
}

/**
 * Registers the behaviour every `LifecycleSource` must show as a vitest `describe` block:
 * valid states, one notification per real change and none for no-ops, working unsubscribe,
 * and `close` stopping everything.
 * @param name - the name of the describe block, e.g. the class name
 * @param setup - creates a fresh harness for each test; the suite closes its source
 */
export function runLifecycleSourceConformance(
  name: string,
  setup: () => LifecycleSourceHarness,
): void {
  const fresh = (): LifecycleSourceHarness => {
    const harness = setup()
    onTestFinished(() => harness.source.close())
    return harness
  }

  /** Drives through the walk; returns, per step, whether the state really changed. */
  const walkThrough = (harness: LifecycleSourceHarness): boolean[] =>
    harness.walk.map((state) => {
      const before = harness.source.current()
      harness.drive(state)
      return !isSameLifecycleState(before, state)
    })

  describe(name, () => {
    it('starts in a valid lifecycle state', () => {
      const { source } = fresh()
      const state = source.current()
      expect(() => assertLifecycleState(state)).not.toThrow()
      expect(() => evaluateLifecycle(state)).not.toThrow()
    })

    it('reaches every state of the walk, and each is valid', () => {
      const harness = fresh()
      for (const state of harness.walk) {
        harness.drive(state)
        const current = harness.source.current()
        expect(() => assertLifecycleState(current)).not.toThrow()
        expect(isSameLifecycleState(current, state), JSON.stringify({ current, state })).toBe(true)
      }
    })

    it('notifies once per real change, with the new state', () => {
      const harness = fresh()
      for (const state of harness.walk) {
        const received: LifecycleState[] = []
        const unsubscribe = harness.source.subscribe((next) => received.push(next))
        const before = harness.source.current()
        harness.drive(state)
        unsubscribe()
        const expected = isSameLifecycleState(before, state) ? [] : [harness.source.current()]
        expect(received).toEqual(expected)
      }
    })

    it('does not notify when driven into the state it already has', () => {
      const harness = fresh()
      let calls = 0
      harness.source.subscribe(() => calls++)
      harness.drive(harness.source.current())
      harness.drive(harness.source.current())
      expect(calls).toBe(0)
    })

    it('notifies every subscriber', () => {
      const harness = fresh()
      const calls = [0, 0]
      harness.source.subscribe(() => calls[0]!++)
      harness.source.subscribe(() => calls[1]!++)
      const changes = walkThrough(harness).filter(Boolean).length
      expect(calls).toEqual([changes, changes])
    })

    it('stops notifying a listener after it unsubscribes, and keeps the others', () => {
      const harness = fresh()
      let removedCalls = 0
      let keptCalls = 0
      const unsubscribe = harness.source.subscribe(() => removedCalls++)
      harness.source.subscribe(() => keptCalls++)
      unsubscribe()
      unsubscribe()
      const changes = walkThrough(harness).filter(Boolean).length
      expect(removedCalls).toBe(0)
      expect(keptCalls).toBe(changes)
    })

    it('stops every notification on close, also for later subscribers', () => {
      const harness = fresh()
      let calls = 0
      harness.source.subscribe(() => calls++)
      harness.source.close()
      harness.source.subscribe(() => calls++)
      walkThrough(harness)
      expect(calls).toBe(0)
    })

    it('can be closed twice', () => {
      const { source } = fresh()
      source.close()
      expect(() => source.close()).not.toThrow()
    })

    it('hands out copies, so a caller cannot change its state', () => {
      const { source } = fresh()
      const before = source.current()
      const copy = source.current()
      copy.online = !copy.online
      copy.app = copy.app === 'closed' ? 'foreground' : 'closed'
      expect(source.current()).toEqual(before)
    })
  })
}

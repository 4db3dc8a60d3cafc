import type { LifecycleState } from '../LifecycleState.ts'

/** Receives each new lifecycle state of a source. */
export type LifecycleListener = (state: LifecycleState) => void

/**
 * Where lifecycle states come from: an adapter that observes a real environment (browser
 * events, a React Native or Capacitor bridge, a test). Sources only report; the rules in
 * `evaluateLifecycle` decide.
 */
export interface LifecycleSource {
  /** The state now, as a fresh copy the caller may keep. */
  current(): LifecycleState
  /**
   * Calls `listener` once for every real change of the state (never for a no-op, and not for
   * the state at subscription time: read `current()` for that).
   * @returns a function that unsubscribes; calling it again does nothing
   */
  subscribe(listener: LifecycleListener): () => void
  /** Detaches from the environment and drops every listener; idempotent. */
  close(): void
}

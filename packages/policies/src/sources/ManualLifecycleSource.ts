import { assertLifecycleState } from '../assertLifecycleState.ts'
import { isSameLifecycleState } from '../isSameLifecycleState.ts'
import type { LifecycleState } from '../LifecycleState.ts'
import { LifecycleListeners } from './LifecycleListeners.ts'
import type { LifecycleListener, LifecycleSource } from './LifecycleSource.ts'

/**
 * A lifecycle source an app feeds itself, e.g. from React Native `AppState`, Capacitor's
 * `App` and `Network` plugins, Electron window events, or a test.
 */
export class ManualLifecycleSource implements LifecycleSource {
  #state: LifecycleState
  readonly #listeners = new LifecycleListeners()
  #closed = false

  /**
   * @param initial - the state at start
   * @throws TypeError naming the field when `initial` is not a valid lifecycle state
   */
  constructor(initial: LifecycleState) {
    assertLifecycleState(initial, 'initial')
    this.#state = { ...initial }
  }

  current(): LifecycleState {
    return { ...this.#state }
  }

  subscribe(listener: LifecycleListener): () => void {
    return this.#listeners.add(listener)
  }

  /**
   * Merges `changes` into the state and notifies listeners if the result differs; after
   * `close` the call is validated and then ignored.
   * @param changes - the fields that changed, e.g. `{ app: 'background' }`
   * @throws TypeError naming the field when the merged state is not a valid lifecycle state
   */
  update(changes: Partial<LifecycleState>): void {
    if (typeof changes !== 'object' || changes === null) {
      throw new TypeError('Invalid lifecycle state: changes must be an object.')
    }
    const next = { ...this.#state, ...changes }
    assertLifecycleState(next)
    if (this.#closed) return
    const changed = !isSameLifecycleState(this.#state, next)
    this.#state = next
    if (changed) this.#listeners.emit(next)
  }

  close(): void {
    this.#closed = true
    this.#listeners.close()
  }
}

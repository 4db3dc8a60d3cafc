import type { LifecycleState } from '../LifecycleState.ts'
import type { LifecycleListener } from './LifecycleSource.ts'

/** The listener bookkeeping every lifecycle source shares (internal). */
export class LifecycleListeners {
  // One entry per subscription, so subscribing the same function twice needs two unsubscribes.
  readonly #entries = new Set<{ listener: LifecycleListener }>()
  #pending: LifecycleState | undefined
  #emitting = false
  #closed = false

  /** Adds a listener; returns its unsubscribe function. After `close`, adds nothing. */
  add(listener: LifecycleListener): () => void {
    if (this.#closed) return () => {}
    const entry = { listener }
    this.#entries.add(entry)
    return () => {
      this.#entries.delete(entry)
    }
  }

  /** Delivers a changed state to every listener, each its own copy. */
  emit(state: LifecycleState): void {
    this.#pending = state
    // A listener that changes the source again must not let later listeners see the older
    // state last: queue the newer one and deliver it after the current round.
    if (this.#emitting) return
    this.#emitting = true
    try {
      while (this.#pending !== undefined) {
        const next = this.#pending
        this.#pending = undefined
        for (const entry of [...this.#entries]) {
          if (this.#entries.has(entry)) deliver(entry.listener, next)
        }
      }
    } finally {
      this.#emitting = false
    }
  }

  /** Drops every listener and refuses new ones. */
  close(): void {
    this.#closed = true
    this.#pending = undefined
    this.#entries.clear()
  }
}

function deliver(listener: LifecycleListener, state: LifecycleState): void {
  try {
    listener({ ...state })
  } catch (error) {
    // Like EventTarget: one failing listener neither stops the others nor the source's own
    // event handler; the error is reported as uncaught instead of being swallowed.
    queueMicrotask(() => {
      throw error
    })
  }
}

import type { LifecycleState } from '../LifecycleState.ts'
import { LifecycleListeners } from './LifecycleListeners.ts'
import type { LifecycleListener, LifecycleSource } from './LifecycleSource.ts'

/**
 * The lifecycle source of a Node process (a service, a script, a test): always foreground,
 * unlocked and online, so it never notifies. A lost network shows up as failed connections,
 * which the sync engine's reconnect backoff handles.
 */
export class NodeLifecycleSource implements LifecycleSource {
  readonly #listeners = new LifecycleListeners()

  current(): LifecycleState {
    return { platform: 'node', app: 'foreground', screenLocked: false, online: true }
  }

  subscribe(listener: LifecycleListener): () => void {
    return this.#listeners.add(listener)
  }

  close(): void {
    this.#listeners.close()
  }
}

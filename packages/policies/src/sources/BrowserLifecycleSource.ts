import { isSameLifecycleState } from '../isSameLifecycleState.ts'
import type { AppState, LifecycleState } from '../LifecycleState.ts'
import { LifecycleListeners } from './LifecycleListeners.ts'
import type { LifecycleListener, LifecycleSource } from './LifecycleSource.ts'

/** The part of `document` the browser source reads; a real `document` fits. */
export interface BrowserDocumentLike extends EventTarget {
  readonly visibilityState: DocumentVisibilityState
}

/** The part of `window` the browser source reads; a real `window` fits. */
export interface BrowserWindowLike extends EventTarget {
  readonly document: BrowserDocumentLike
  readonly navigator: { readonly onLine: boolean }
}

/** Options of `BrowserLifecycleSource`. */
export interface BrowserLifecycleSourceOptions {
  /** The window to observe; default the global `window`. Tests pass a fake. */
  window?: BrowserWindowLike
}

/** How the page lifecycle's pagehide/pageshow events left the page. */
type PageShown = 'shown' | 'cached' | 'unloading'

/**
 * The lifecycle source of a browser tab: a hidden tab, a frozen page and a page kept in the
 * back/forward cache count as background, a page being unloaded as closed; the network comes
 * from `navigator.onLine` and the `online`/`offline` events. The screen lock is not visible
 * to a page, so `screenLocked` is always `false` (a locked screen hides the tab anyway).
 */
export class BrowserLifecycleSource implements LifecycleSource {
  readonly #window: BrowserWindowLike
  readonly #listeners = new LifecycleListeners()
  #visible: boolean
  #online: boolean
  #frozen = false
  #page: PageShown = 'shown'
  #state: LifecycleState
  #closed = false

  /**
   * Starts observing the window's events at once.
   * @param options - see `BrowserLifecycleSourceOptions`
   * @throws TypeError when no window is given and there is no global `window`
   */
  constructor(options: BrowserLifecycleSourceOptions = {}) {
    this.#window = options.window ?? globalWindow()
    this.#visible = this.#window.document.visibilityState === 'visible'
    this.#online = this.#window.navigator.onLine
    this.#state = this.#derive()
    for (const type of DOCUMENT_EVENTS) this.#window.document.addEventListener(type, this.#onEvent)
    for (const type of WINDOW_EVENTS) this.#window.addEventListener(type, this.#onEvent)
  }

  current(): LifecycleState {
    return { ...this.#state }
  }

  subscribe(listener: LifecycleListener): () => void {
    return this.#listeners.add(listener)
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const type of DOCUMENT_EVENTS) {
      this.#window.document.removeEventListener(type, this.#onEvent)
    }
    for (const type of WINDOW_EVENTS) this.#window.removeEventListener(type, this.#onEvent)
    this.#listeners.close()
  }

  readonly #onEvent = (event: Event): void => {
    switch (event.type) {
      case 'visibilitychange':
        this.#visible = this.#window.document.visibilityState === 'visible'
        break
      case 'freeze':
        this.#frozen = true
        break
      case 'resume':
        this.#frozen = false
        break
      case 'online':
        this.#online = true
        break
      case 'offline':
        this.#online = false
        break
      case 'pagehide':
        this.#page = isPersisted(event) ? 'cached' : 'unloading'
        break
      case 'pageshow':
        this.#page = 'shown'
        this.#frozen = false
        this.#visible = this.#window.document.visibilityState === 'visible'
        break
    }
    const next = this.#derive()
    if (isSameLifecycleState(this.#state, next)) return
    this.#state = next
    this.#listeners.emit(next)
  }

  #derive(): LifecycleState {
    let app: AppState = 'foreground'
    if (this.#page === 'unloading') app = 'closed'
    else if (this.#page === 'cached' || this.#frozen || !this.#visible) app = 'background'
    return { platform: 'browser', app, screenLocked: false, online: this.#online }
  }
}

const DOCUMENT_EVENTS = ['visibilitychange', 'freeze', 'resume'] as const
const WINDOW_EVENTS = ['online', 'offline', 'pagehide', 'pageshow'] as const

function isPersisted(event: Event): boolean {
  return 'persisted' in event && event.persisted === true
}

function globalWindow(): BrowserWindowLike {
  if (typeof window === 'undefined') {
    throw new TypeError(
      'BrowserLifecycleSource: there is no global window here; pass options.window.',
    )
  }
  return window
}

import type { BrowserDocumentLike, BrowserWindowLike } from '../sources/BrowserLifecycleSource.ts'

/** A stand-in for `document` whose visibility a test sets. */
export class FakeBrowserDocument extends EventTarget implements BrowserDocumentLike {
  visibilityState: DocumentVisibilityState = 'visible'
}

/**
 * A stand-in for `window` built on the platform's `EventTarget`: each method changes one
 * signal and dispatches the one event a browser would, even when nothing changed.
 */
export class FakeBrowserWindow extends EventTarget implements BrowserWindowLike {
  readonly document = new FakeBrowserDocument()
  readonly navigator = { onLine: true }

  /** Sets `document.visibilityState` and dispatches `visibilitychange` on the document. */
  setVisibility(visibilityState: DocumentVisibilityState): void {
    this.document.visibilityState = visibilityState
    this.document.dispatchEvent(new Event('visibilitychange'))
  }

  /** Sets `navigator.onLine` and dispatches `online` or `offline` on the window. */
  setOnline(onLine: boolean): void {
    this.navigator.onLine = onLine
    this.dispatchEvent(new Event(onLine ? 'online' : 'offline'))
  }

  /** Dispatches `freeze` on the document, as when the browser suspends a background tab. */
  freeze(): void {
    this.document.dispatchEvent(new Event('freeze'))
  }

  /** Dispatches `resume` on the document. */
  resume(): void {
    this.document.dispatchEvent(new Event('resume'))
  }

  /** Dispatches `pagehide`; `persisted` is true when the page goes into the back/forward cache. */
  pageHide(persisted: boolean): void {
    this.dispatchEvent(Object.assign(new Event('pagehide'), { persisted }))
  }

  /** Dispatches `pageshow`, as when a page is shown again from the back/forward cache. */
  pageShow(persisted = true): void {
    this.dispatchEvent(Object.assign(new Event('pageshow'), { persisted }))
  }
}

import * as Automerge from '@automerge/automerge'
import type { StorageKey } from '@automerge/automerge-repo/slim'

/** A loaded document with what is needed to persist its next change. */
export interface CachedDocument<T> {
  doc: Automerge.Doc<T>
  /** Heads already in storage; the next save writes the changes after them. */
  persistedHeads: Automerge.Heads
  /** The storage keys whose chunks together hold the stored document. */
  chunkKeys: StorageKey[]
}

/**
 * A least-recently-used set of loaded Automerge documents. Documents beyond the bound leave
 * memory (`Automerge.free`), because thousands of live documents make V8 collect garbage
 * constantly; documents in use (pinned) are never evicted.
 */
export class DocumentCache<T> {
  readonly #entries = new Map<string, CachedDocument<T>>()
  readonly #pinned = new Map<string, number>()
  /** Unpinned loaded documents, least recently used first: the eviction candidates. */
  readonly #evictable = new Set<string>()
  readonly #capacity: number

  /** @param capacity - the most documents kept loaded when none is pinned */
  constructor(capacity: number) {
    this.#capacity = capacity
  }

  /** @param documentId - the document to look up; marks it as recently used */
  get(documentId: string): CachedDocument<T> | undefined {
    const entry = this.#entries.get(documentId)
    if (entry && this.#evictable.delete(documentId)) this.#evictable.add(documentId)
    return entry
  }

  /** Adds or replaces a document and evicts the least recently used unpinned ones. */
  set(documentId: string, entry: CachedDocument<T>): void {
    this.#entries.set(documentId, entry)
    this.#evictable.delete(documentId)
    if (!this.#pinned.has(documentId)) this.#evictable.add(documentId)
    this.#evictOverflow()
  }

  /** Drops a document from memory (its changes must already be stored or abandoned). */
  evict(documentId: string): void {
    const entry = this.#entries.get(documentId)
    if (!entry) return
    this.#entries.delete(documentId)
    this.#evictable.delete(documentId)
    Automerge.free(entry.doc)
  }

  /** Keeps a document loaded until the matching {@link unpin}. */
  pin(documentId: string): void {
    this.#pinned.set(documentId, (this.#pinned.get(documentId) ?? 0) + 1)
    this.#evictable.delete(documentId)
  }

  /** Releases one {@link pin}. */
  unpin(documentId: string): void {
    const count = (this.#pinned.get(documentId) ?? 0) - 1
    if (count > 0) {
      this.#pinned.set(documentId, count)
      return
    }
    this.#pinned.delete(documentId)
    if (this.#entries.has(documentId)) this.#evictable.add(documentId)
    this.#evictOverflow()
  }

  /** Frees every document. */
  clear(): void {
    for (const entry of this.#entries.values()) Automerge.free(entry.doc)
    this.#entries.clear()
    this.#evictable.clear()
  }

  #evictOverflow(): void {
    for (const documentId of this.#evictable) {
      if (this.#entries.size <= this.#capacity) return
      this.evict(documentId)
    }
  }
}

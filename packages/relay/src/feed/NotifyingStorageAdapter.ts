import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo/slim'
import type { Logger } from 'pino'

/** Called after a chunk of a document was saved; see {@link NotifyingStorageAdapter}. */
export type DocumentSaved = (documentId: string) => Promise<void>

/**
 * A storage adapter that passes every call to another one and, after automerge-repo saved a
 * document chunk (`[documentId, 'snapshot' | 'incremental', hash]`), awaits `onSaved` with the
 * document id, so a save resolves only once its observer (the feed) is done.
 *
 * Why storage and not DocHandle events: automerge-repo 2.5.6 declares a Repo `document` event
 * but never emits it, so handles created by sync requests, imports or `find` cannot be
 * observed; every accepted change (sync, import, local change) is saved, though. Observing
 * saves also means the feed hears of a change only once storage holds it.
 * Failures of `onSaved` are logged, never passed to the repo: the chunk itself is saved.
 */
export class NotifyingStorageAdapter implements StorageAdapterInterface {
  readonly #inner: StorageAdapterInterface
  readonly #onSaved: DocumentSaved
  readonly #logger: Logger

  /**
   * @param inner - the storage that holds the data
   * @param onSaved - called with the document id after a document chunk was saved
   * @param logger - receives failures of `onSaved`
   */
  constructor(inner: StorageAdapterInterface, onSaved: DocumentSaved, logger: Logger) {
    this.#inner = inner
    this.#onSaved = onSaved
    this.#logger = logger
  }

  /** Passes to the inner adapter. */
  load(key: StorageKey): Promise<Uint8Array | undefined> {
    return this.#inner.load(key)
  }

  /** Saves through the inner adapter, then awaits `onSaved` for a document chunk. */
  async save(key: StorageKey, data: Uint8Array): Promise<void> {
    await this.#inner.save(key, data)
    const [documentId, kind] = key
    if (key.length !== 3 || documentId === undefined) return
    if (kind !== 'snapshot' && kind !== 'incremental') return
    try {
      await this.#onSaved(documentId)
    } catch (error) {
      this.#logger.error({ error, documentId }, 'Observer of a document save failed')
    }
  }

  /** Passes to the inner adapter. */
  remove(key: StorageKey): Promise<void> {
    return this.#inner.remove(key)
  }

  /** Passes to the inner adapter. */
  loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    return this.#inner.loadRange(keyPrefix)
  }

  /** Passes to the inner adapter. */
  removeRange(keyPrefix: StorageKey): Promise<void> {
    return this.#inner.removeRange(keyPrefix)
  }
}

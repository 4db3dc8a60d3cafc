import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo/slim'

/**
 * A view of a storage adapter whose `loadRange` lists chunks in the order their keys were
 * first saved through the view. automerge-repo's acceptance suite compares `loadRange`
 * results with `toStrictEqual` against arrays written in save order, although the interface
 * promises no order (the stock adapters happen to return it: a Map, a directory walk);
 * RelayStorageAdapter returns LMDB's key byte order, in which ['AAAAA', 'snapshot', ...]
 * comes before ['AAAAA', 'sync-state', ...] saved earlier. Only tests use this view: it
 * changes the order of the results and nothing else, and forwards every call at once.
 */
export class SaveOrderView implements StorageAdapterInterface {
  readonly #inner: StorageAdapterInterface
  readonly #firstSaved = new Map<string, number>()

  constructor(inner: StorageAdapterInterface) {
    this.#inner = inner
  }

  load(key: StorageKey): Promise<Uint8Array | undefined> {
    return this.#inner.load(key)
  }

  save(key: StorageKey, data: Uint8Array): Promise<void> {
    const id = JSON.stringify(key)
    if (!this.#firstSaved.has(id)) this.#firstSaved.set(id, this.#firstSaved.size)
    return this.#inner.save(key, data)
  }

  remove(key: StorageKey): Promise<void> {
    return this.#inner.remove(key)
  }

  async loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    const chunks = await this.#inner.loadRange(keyPrefix)
    const order = (chunk: Chunk): number =>
      this.#firstSaved.get(JSON.stringify(chunk.key)) ?? Number.MAX_SAFE_INTEGER
    return chunks.sort((left, right) => order(left) - order(right))
  }

  removeRange(keyPrefix: StorageKey): Promise<void> {
    return this.#inner.removeRange(keyPrefix)
  }
}

import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo/slim'

/**
 * In-memory storage for tests: the same semantics as {@link LmdbStorageAdapter}, nothing
 * persisted. Bytes are copied on the way in and on the way out, so a caller that mutates an
 * array it saved or loaded cannot change what is stored.
 *
 * `loadRange` lists chunks in an unspecified order (as the interface allows; today the
 * order in which their keys were first saved); callers must not rely on it.
 */
export class MemoryStorageAdapter implements StorageAdapterInterface {
  /** Entries by `JSON.stringify(key)`, which is one-to-one for string arrays. */
  readonly #entries = new Map<string, { key: StorageKey; data: Uint8Array }>()

  /** Loads the bytes saved under `key`, or undefined when there are none. */
  load(key: StorageKey): Promise<Uint8Array | undefined> {
    const entry = this.#entries.get(JSON.stringify(key))
    return Promise.resolve(entry === undefined ? undefined : new Uint8Array(entry.data))
  }

  /** Saves a copy of `data` under `key`, replacing what was there. */
  save(key: StorageKey, data: Uint8Array): Promise<void> {
    this.#entries.set(JSON.stringify(key), { key: [...key], data: new Uint8Array(data) })
    return Promise.resolve()
  }

  /** Removes the bytes saved under `key`, if any. */
  remove(key: StorageKey): Promise<void> {
    this.#entries.delete(JSON.stringify(key))
    return Promise.resolve()
  }

  /** Loads copies of every chunk whose key starts with the components of `keyPrefix`. */
  loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    const chunks: Chunk[] = []
    for (const { key, data } of this.#entries.values()) {
      if (startsWith(key, keyPrefix)) chunks.push({ key: [...key], data: new Uint8Array(data) })
    }
    return Promise.resolve(chunks)
  }

  /** Removes every chunk whose key starts with the components of `keyPrefix`. */
  removeRange(keyPrefix: StorageKey): Promise<void> {
    for (const [id, { key }] of this.#entries) {
      if (startsWith(key, keyPrefix)) this.#entries.delete(id)
    }
    return Promise.resolve()
  }
}

function startsWith(key: StorageKey, prefix: StorageKey): boolean {
  return prefix.length <= key.length && prefix.every((component, index) => key[index] === component)
}

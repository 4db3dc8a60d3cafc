import { mkdir } from 'node:fs/promises'
import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo/slim'
import { open } from 'lmdb'
import type { RootDatabase } from 'lmdb'
import { relayStorageKey } from './relayStorageKey.ts'

/** Key of the store's metadata record; chunk keys start with 0x01 (see relayStorageKey). */
const META_KEY = Uint8Array.of(0x00)
/**
 * Layout of the records; bump it, and migrate, when a layout changes.
 * - 1: chunk keys as relayStorageKey writes them, values are the chunk bytes alone.
 */
const FORMAT_VERSION = 1
const META_RECORD = Uint8Array.of(...new TextEncoder().encode('rowsync-relay'), FORMAT_VERSION)

type Store = RootDatabase<Uint8Array, Uint8Array>

/**
 * The relay's embedded storage for automerge-repo (`StorageAdapterInterface`) on LMDB
 * through lmdb-js: one memory-mapped B-tree file for every row document, snapshot and sync
 * state, where the stock NodeFS adapter costs a file and two directories per document.
 *
 * Keys: automerge-repo's `[documentId, 'snapshot' | 'incremental' | 'sync-state', id]`,
 * `['storage-adapter-id']` and any other string arrays whose components hold neither U+0000
 * nor lone surrogates (see relayStorageKey); others are refused with an
 * {@link InvalidStorageKeyError} naming the key.
 *
 * Durability: every `save`, `remove` and `removeRange` resolves only after LMDB committed
 * the transaction holding it with fdatasync (noSync false, overlappingSync false), so a
 * resolved write survives `kill -9` and power loss. Group commit: lmdb-js gathers the
 * asynchronous writes issued in one event turn, and those issued while a commit syncs, into
 * one transaction, so thousands of concurrent saves share a few syncs.
 *
 * Order: operations take effect in call order (strictAsyncOrder); a load issued after an
 * unawaited save sees that save. `loadRange` lists chunks in the byte order of their encoded
 * keys; the interface promises no order. Returned bytes are always fresh copies.
 */
export class RelayStorageAdapter implements StorageAdapterInterface {
  readonly #directory: string
  readonly #db: Store
  /** The last write issued, settled either way; close waits for it. */
  #lastWrite: Promise<unknown> = Promise.resolve()
  #pendingWrites = 0
  #closed = false

  private constructor(directory: string, db: Store) {
    this.#directory = directory
    this.#db = db
  }

  /**
   * Opens (creating if needed) the store in `directory`.
   * @param directory - directory for LMDB's `data.mdb` and `lock.mdb`; created if missing
   * @throws Error if the directory holds an LMDB database that is not a relay store, a relay
   *   store of another format version, or LMDB cannot open it
   */
  static async open(directory: string): Promise<RelayStorageAdapter> {
    await mkdir(directory, { recursive: true })
    const db = open<Uint8Array, Uint8Array>({
      path: directory,
      // Always a directory, even when its name contains a dot.
      noSubdir: false,
      keyEncoding: 'binary',
      // Values are bytes: written as given (save passes its own copy); getRange hands each
      // value over in lmdb-js's reused read buffer, whose `length` property is the value's
      // size (its byteLength is larger), so decode copies exactly that much.
      encoder: {
        encode: (value: Uint8Array): Uint8Array => value,
        decode: (bytes: Uint8Array): Uint8Array => copyOf(bytes),
      },
      // Durability, chosen deliberately (lmdb-js defaults differ by platform):
      // - noSync false: every commit fdatasyncs the data pages, then writes the meta page
      //   through an O_DSYNC descriptor; LMDB's copy-on-write B-tree and two meta pages make
      //   a torn commit invisible, so after a crash the store opens at the last synced commit.
      // - overlappingSync false: lmdb-js turns it on by default on Linux and macOS, where a
      //   write promise resolves once its transaction is visible but before it is flushed
      //   (only the separate `flushed` promise means durable). Off, the promise resolves
      //   after the sync on every platform. Group commit still holds: writes queued while a
      //   commit syncs go into the next one. It is fixed when the environment is created.
      // - useWritemap and mapAsync stay off: a stray pointer could corrupt a writable map,
      //   and mapAsync hides when the flush finished.
      noSync: false,
      overlappingSync: false,
      // Run removeRange's and reads' transaction callbacks in call order with the queued
      // single writes, so they see (and remove) saves issued before them, awaited or not.
      strictAsyncOrder: true,
    })
    try {
      await checkFormat(db, directory)
      return new RelayStorageAdapter(directory, db)
    } catch (error) {
      await db.close()
      throw error
    }
  }

  /**
   * Loads a copy of the bytes saved under `key`, or undefined when there are none.
   * @throws InvalidStorageKeyError if the key cannot be stored; Error if the store is closed
   */
  async load(key: StorageKey): Promise<Uint8Array | undefined> {
    const encoded = this.#encode('load', key)
    return this.#read(() => {
      // getBinaryFast returns a view of a buffer that lmdb-js reuses for the next read.
      const record = this.#db.getBinaryFast(encoded)
      return record === undefined ? undefined : copyOf(record)
    })
  }

  /**
   * Saves a copy of `data` under `key`, replacing what was there; resolves once durable.
   * @throws InvalidStorageKeyError if the key cannot be stored; Error if the store is closed
   */
  async save(key: StorageKey, data: Uint8Array): Promise<void> {
    const encoded = this.#encode('save', key)
    // lmdb-js reads the value when it commits, not when put is called: store a copy, so a
    // caller that reuses `data` at once cannot change what is stored.
    await this.#track(this.#db.put(encoded, Uint8Array.from(data)))
  }

  /**
   * Removes the bytes saved under `key`, if any; resolves once durable.
   * @throws InvalidStorageKeyError if the key cannot be stored; Error if the store is closed
   */
  async remove(key: StorageKey): Promise<void> {
    await this.#track(this.#db.remove(this.#encode('remove', key)))
  }

  /**
   * Loads copies of every chunk whose key starts with the components of `keyPrefix`
   * (['a'] matches ['a'] and ['a', 'x'], not ['ab']; [] matches every chunk), in the byte
   * order of the encoded keys.
   * @throws InvalidStorageKeyError if the prefix cannot be stored; Error if the store is
   *   closed or a stored key is corrupt
   */
  async loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    const range = relayStorageKey.prefixRange(this.#encode('loadRange', keyPrefix, true))
    return this.#read(() => {
      const chunks: Chunk[] = []
      for (const { key, value } of this.#db.getRange(range)) {
        chunks.push({ key: relayStorageKey.decode(key), data: value })
      }
      return chunks
    })
  }

  /**
   * Removes every chunk whose key starts with the components of `keyPrefix`; resolves once
   * durable.
   * @throws InvalidStorageKeyError if the prefix cannot be stored; Error if the store is closed
   */
  async removeRange(keyPrefix: StorageKey): Promise<void> {
    const range = relayStorageKey.prefixRange(this.#encode('removeRange', keyPrefix, true))
    // A transaction callback runs inside the write transaction after the writes queued
    // before it, so it also removes chunks whose saves are not committed yet.
    const removal = this.#db.transaction(() => {
      // Collected first: removing while the cursor walks the range could skip keys.
      const keys = [...this.#db.getKeys(range)]
      for (const key of keys) this.#db.removeSync(key)
    })
    await this.#track(removal)
  }

  /** Waits for the writes issued so far, then closes the store; later calls throw. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#lastWrite
    await this.#db.close()
  }

  #encode(operation: string, key: StorageKey, asPrefix = false): Uint8Array {
    if (this.#closed) {
      throw new Error(`RelayStorageAdapter.${operation}: the store at ${this.#directory} is closed`)
    }
    return relayStorageKey.encode(`RelayStorageAdapter.${operation}`, key, asPrefix)
  }

  /**
   * Runs `read` against the state that the calls issued before it leave behind: with no
   * write in flight the committed state; otherwise inside the write queue, after the writes
   * queued before it (strictAsyncOrder), resolving after that commit.
   */
  async #read<T>(read: () => T): Promise<T> {
    if (this.#pendingWrites === 0) return read()
    // Caught inside the callback so that a corrupt record fails this read only.
    const outcome = await this.#db.transaction((): { value: T } | { error: unknown } => {
      try {
        return { value: read() }
      } catch (error) {
        return { error }
      }
    })
    if ('error' in outcome) throw outcome.error
    return outcome.value
  }

  async #track(write: Promise<unknown>): Promise<void> {
    this.#pendingWrites += 1
    this.#lastWrite = write.then(
      () => undefined,
      () => undefined,
    )
    try {
      await write
    } finally {
      this.#pendingWrites -= 1
    }
  }
}

/** A plain copy of the first `bytes.length` bytes of a buffer lmdb-js handed over. */
function copyOf(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length).slice()
}

/**
 * Checks that the store in `directory` is a relay store of this format, writing the
 * metadata record if the store is new (empty).
 * @throws Error if the store holds other data, or a relay store of another format
 */
async function checkFormat(db: Store, directory: string): Promise<void> {
  const found = db.getBinaryFast(META_KEY)
  if (found === undefined) {
    if (db.getKeysCount({ limit: 1 }) > 0) {
      throw new Error(
        `RelayStorageAdapter.open: ${directory} holds an LMDB database that is not a relay store`,
      )
    }
    await db.put(META_KEY, META_RECORD)
    return
  }
  const meta = copyOf(found)
  if (Buffer.compare(meta, META_RECORD) === 0) return
  throw new Error(
    `RelayStorageAdapter.open: ${directory} is not a relay store of format ${FORMAT_VERSION} ` +
      `(its metadata record is ${Buffer.from(meta).toString('hex').slice(0, 80)})`,
  )
}

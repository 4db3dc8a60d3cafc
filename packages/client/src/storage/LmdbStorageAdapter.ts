import { mkdir } from 'node:fs/promises'
import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo/slim'
import { open } from 'lmdb'
import type { RootDatabase } from 'lmdb'
import { storageKeyCodec } from './storageKeyCodec.ts'

/** Key namespace of the store's own metadata record. */
const META_NAMESPACE = 0x00
/** Key namespace of the chunks saved through the adapter. */
const CHUNK_NAMESPACE = 0x01
const META_KEY = Uint8Array.of(META_NAMESPACE)
/** Layout of the records; bump it, and migrate, when either layout changes. */
const FORMAT_VERSION = 1
/** Bytes before the data in a chunk record: the save sequence number as a float64. */
const SEQUENCE_BYTES = 8
/**
 * lmdb-js refuses keys over 1978 bytes at the default page size (4026 at 8 KiB pages and up).
 * Using the smaller bound everywhere means a key accepted on one machine is accepted on all.
 */
const MAX_ENCODED_KEY_BYTES = 1978

/**
 * Durable storage on the local filesystem for devices (and the relay's embedded storage),
 * built on LMDB through `lmdb` (lmdb-js).
 *
 * Durability: every `save`, `remove` and `removeRange` promise resolves only after LMDB has
 * committed the transaction holding it with `fdatasync`, so a resolved write survives
 * `kill -9` and power loss (as far as the OS and disk honour fdatasync). Group commit: lmdb-js queues asynchronous writes and commits
 * everything queued in one event turn (and whatever arrives while a commit is being synced)
 * as one transaction, so 10,000 saves issued without awaiting share a handful of syncs.
 *
 * Order: operations take effect in the order they are called; a load issued after an
 * unawaited save sees that save. `loadRange` lists chunks in the order they were last saved
 * (automerge-repo's acceptance suite compares arrays in that order); callers must not rely on
 * it, since the IndexedDB adapter lists chunks in key order.
 *
 * One process at a time should write to a store: LMDB itself allows several, but the save
 * order counter lives in the writing process.
 */
export class LmdbStorageAdapter implements StorageAdapterInterface {
  readonly #path: string
  readonly #db: RootDatabase<Uint8Array, Uint8Array>
  /** Sequence number of the last save; persisted in the metadata record with every save. */
  #lastSequence: number
  /** The last write issued, settled either way; close waits for it. */
  #lastWrite: Promise<unknown> = Promise.resolve()
  #pendingWrites = 0
  #closed = false

  private constructor(
    path: string,
    db: RootDatabase<Uint8Array, Uint8Array>,
    lastSequence: number,
  ) {
    this.#path = path
    this.#db = db
    this.#lastSequence = lastSequence
  }

  /**
   * Opens (creating if needed) the store in directory `path`.
   * @param path - directory for LMDB's `data.mdb` and `lock.mdb`; created if missing, and
   *   always a directory even when its name contains a dot
   * @throws Error if the directory holds an LMDB database that is not a Rowsync store, or a
   *   store of another format version, or if LMDB cannot open it
   */
  static async open(path: string): Promise<LmdbStorageAdapter> {
    await mkdir(path, { recursive: true })
    const db = open<Uint8Array, Uint8Array>({
      path,
      // Always a directory: lmdb-js would otherwise treat a path with a dot as a file name.
      noSubdir: false,
      keyEncoding: 'binary',
      encoding: 'binary',
      // Durability, chosen deliberately (lmdb-js 3.x defaults differ by platform):
      // - noSync false (the default, stated here because it is the whole point): every
      //   commit fdatasyncs the data pages, then writes the meta page through an O_DSYNC
      //   descriptor; LMDB's copy-on-write B-tree and double meta page make a torn commit
      //   invisible, so after a crash the store opens at the last synced transaction.
      // - overlappingSync false: lmdb-js defaults it to true on Linux and macOS, where a
      //   write promise resolves once its transaction is committed and visible but before it
      //   is flushed (durability is only signalled by the separate `flushed` promise), and
      //   recovery relies on lmdb-js's own multi-step meta protocol and the OS boot id. With
      //   it off, the promise resolves after the sync, on every platform alike (lmdb-js
      //   already turns it off on Windows), with LMDB's long-proven commit path. Group commit
      //   still holds: writes queued while a commit syncs go into the next transaction. An
      //   env's overlappingSync setting cannot change after creation, so it is fixed here.
      // - useWritemap and mapAsync stay off: with a writable map a stray pointer can corrupt
      //   the file, and mapAsync hides when the flush finished.
      noSync: false,
      overlappingSync: false,
      // Run removeRange's transaction callback in call order with queued single writes, so a
      // removeRange issued after an unawaited save removes that save.
      strictAsyncOrder: true,
    })
    try {
      return new LmdbStorageAdapter(path, db, readLastSequence(db, path))
    } catch (error) {
      await db.close()
      throw error
    }
  }

  /**
   * Loads the bytes saved under `key`, or undefined when there are none.
   * @throws Error if the store is closed or the record is corrupt
   */
  async load(key: StorageKey): Promise<Uint8Array | undefined> {
    const encodedKey = this.#encodeKey('load', key)
    return this.#read(() => {
      // getBinaryFast returns a view of a buffer that lmdb-js reuses for the next read: copy.
      const record = this.#db.getBinaryFast(encodedKey)
      return record === undefined ? undefined : this.#parse(record, 'load', key).data
    })
  }

  /**
   * Saves `data` under `key`, replacing what was there; resolves once durable on disk.
   * @throws Error if the store is closed, or the key encodes to more than 1978 bytes
   */
  async save(key: StorageKey, data: Uint8Array): Promise<void> {
    const encodedKey = this.#encodeKey('save', key)
    const sequence = this.#lastSequence + 1
    this.#lastSequence = sequence
    // The record is a fresh copy, so a caller that reuses `data` cannot change what is stored.
    const record = new Uint8Array(SEQUENCE_BYTES + data.length)
    new DataView(record.buffer).setFloat64(0, sequence)
    record.set(data, SEQUENCE_BYTES)
    // Both puts go into the same (or, for the metadata, an earlier) transaction, so the
    // persisted counter is never behind a committed chunk.
    await this.#track(
      Promise.all([this.#db.put(META_KEY, metaRecord(sequence)), this.#db.put(encodedKey, record)]),
    )
  }

  /**
   * Removes the bytes saved under `key`, if any; resolves once durable on disk.
   * @throws Error if the store is closed
   */
  async remove(key: StorageKey): Promise<void> {
    await this.#track(this.#db.remove(this.#encodeKey('remove', key)))
  }

  /**
   * Loads copies of every chunk whose key starts with the components of `keyPrefix`
   * (['a'] matches ['a'] and ['a', 'x'], not ['ab']), in the order they were last saved.
   * @throws Error if the store is closed or a record is corrupt
   */
  async loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    this.#encodeKey('loadRange', keyPrefix)
    const range = storageKeyCodec.prefixRange(keyPrefix, CHUNK_NAMESPACE)
    return this.#read(() => {
      const found: { sequence: number; chunk: Chunk }[] = []
      for (const { key, value } of this.#db.getRange(range)) {
        const storageKey = storageKeyCodec.decode(key)
        const { sequence, data } = this.#parse(value, 'loadRange', storageKey)
        found.push({ sequence, chunk: { key: storageKey, data } })
      }
      return found.sort((left, right) => left.sequence - right.sequence).map(({ chunk }) => chunk)
    })
  }

  /**
   * Removes every chunk whose key starts with the components of `keyPrefix`; resolves once
   * durable on disk.
   * @throws Error if the store is closed
   */
  async removeRange(keyPrefix: StorageKey): Promise<void> {
    this.#encodeKey('removeRange', keyPrefix)
    const range = storageKeyCodec.prefixRange(keyPrefix, CHUNK_NAMESPACE)
    // A transaction callback runs inside the write transaction, after the writes queued
    // before it, so it sees (and removes) chunks saved by calls not yet committed.
    const removal = this.#db.transaction(() => {
      const keys = [...this.#db.getKeys(range)]
      for (const key of keys) this.#db.removeSync(key)
    })
    await this.#track(removal)
  }

  /**
   * Waits for the writes issued so far, then closes the store; later calls throw.
   * Closing twice is harmless.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#lastWrite
    await this.#db.close()
  }

  #encodeKey(operation: string, key: StorageKey): Uint8Array {
    if (this.#closed) {
      throw new Error(`LmdbStorageAdapter.${operation}: the store at ${this.#path} is closed`)
    }
    const encoded = storageKeyCodec.encode(key, CHUNK_NAMESPACE)
    if (encoded.length > MAX_ENCODED_KEY_BYTES) {
      throw new Error(
        `LmdbStorageAdapter.${operation}: key ${JSON.stringify(key).slice(0, 200)} encodes to ` +
          `${encoded.length} bytes, over LMDB's limit of ${MAX_ENCODED_KEY_BYTES}`,
      )
    }
    return encoded
  }

  #parse(
    record: Uint8Array,
    operation: string,
    key: StorageKey,
  ): { sequence: number; data: Uint8Array } {
    if (record.length < SEQUENCE_BYTES) {
      throw new Error(
        `LmdbStorageAdapter.${operation}: record ${JSON.stringify(key)} in ${this.#path} is ` +
          `${record.length} bytes, shorter than its ${SEQUENCE_BYTES}-byte header`,
      )
    }
    return {
      sequence: new DataView(record.buffer, record.byteOffset, SEQUENCE_BYTES).getFloat64(0),
      // new Uint8Array(view) copies into a plain Uint8Array (Buffer.slice would share memory).
      data: new Uint8Array(record.subarray(SEQUENCE_BYTES)),
    }
  }

  /**
   * Runs `read` against the state that the calls issued before it leave behind. With no
   * write in flight that is the committed state; otherwise the read goes into the write
   * queue as a transaction callback, which lmdb-js runs (strictAsyncOrder) after the writes
   * queued before it and before those queued after it, and which resolves after that commit.
   */
  async #read<T>(read: () => T): Promise<T> {
    if (this.#pendingWrites === 0) return read()
    // Catch inside the callback so that a corrupt record fails this read only.
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
    const settled = write.then(
      () => undefined,
      () => undefined,
    )
    this.#lastWrite = settled
    try {
      await write
    } finally {
      this.#pendingWrites -= 1
    }
  }
}

function metaRecord(lastSequence: number): Uint8Array {
  const record = new Uint8Array(1 + 8)
  record[0] = FORMAT_VERSION
  new DataView(record.buffer).setFloat64(1, lastSequence)
  return record
}

function readLastSequence(db: RootDatabase<Uint8Array, Uint8Array>, path: string): number {
  const meta = db.getBinaryFast(META_KEY)
  if (meta === undefined) {
    if (db.getKeysCount({ limit: 1 }) > 0) {
      throw new Error(
        `LmdbStorageAdapter.open: ${path} holds an LMDB database that is not a Rowsync store`,
      )
    }
    return 0
  }
  if (meta.length !== 9 || meta[0] !== FORMAT_VERSION) {
    throw new Error(
      `LmdbStorageAdapter.open: ${path} has store format ${meta[0]} (${meta.length} bytes); ` +
        `this version reads format ${FORMAT_VERSION}`,
    )
  }
  return new DataView(meta.buffer, meta.byteOffset, meta.byteLength).getFloat64(1)
}

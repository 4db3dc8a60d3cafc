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
/**
 * Layout of the records; bump it, and migrate, when either layout changes.
 * - 1: a chunk record held its save sequence number (a float64) before the data; the
 *   metadata record was the format byte and the last sequence number. Development only.
 * - 2: a chunk record is the data alone; the metadata record is 'rowsync' and the format
 *   byte, written once when the store is created.
 */
const FORMAT_VERSION = 2
const META_RECORD = Uint8Array.of(...new TextEncoder().encode('rowsync'), FORMAT_VERSION)
/**
 * lmdb-js refuses keys over 1978 bytes at the default page size (4026 at 8 KiB pages and up).
 * Using the smaller bound everywhere means a key accepted on one machine is accepted on all.
 */
const MAX_ENCODED_KEY_BYTES = 1978
/** Sizes of the buffers that loadRange copies values into: the first, and the largest. */
const MIN_SLAB_BYTES = 4 * 1024
const MAX_SLAB_BYTES = 64 * 1024

/**
 * Keys go into lmdb-js as encoded bytes (encoded and size-checked by the adapter) or, from
 * removeRange, as the storage keys that reads return.
 */
type StoreKey = Uint8Array | StorageKey
type Store = RootDatabase<Uint8Array, StoreKey>

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
 * unawaited save sees that save. `loadRange` lists chunks in the byte order of their encoded
 * keys, LMDB's own order (not string order); the interface promises no order, and callers
 * must not rely on one.
 *
 * Returned bytes are always copies: mutating them never changes what is stored. The chunks
 * of one `loadRange` result may share ArrayBuffers of up to 64 KiB (each chunk has its own
 * byte range of them), as Node's pooled Buffers do: that way 100,000 small values take a few
 * hundred allocations, not 100,000.
 */
export class LmdbStorageAdapter implements StorageAdapterInterface {
  readonly #path: string
  readonly #db: Store
  /** State of the getRange being read, for the key and value codecs; see {@link open}. */
  readonly #ranges: RangeReader
  /** The last write issued, settled either way; close waits for it. */
  #lastWrite: Promise<unknown> = Promise.resolve()
  #pendingWrites = 0
  #closed = false

  private constructor(path: string, db: Store, ranges: RangeReader) {
    this.#path = path
    this.#db = db
    this.#ranges = ranges
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
    const ranges = new RangeReader()
    const db = open<Uint8Array, StoreKey>({
      path,
      // Always a directory: lmdb-js would otherwise treat a path with a dot as a file name.
      noSubdir: false,
      // Keys and values are bytes, handled by these two codecs rather than lmdb-js's
      // 'binary' encodings, which copy every key and value that getRange reads into a new
      // Buffer of its own.
      // Keys: written as given (encoded and size-checked by the adapter; removeRange passes
      // keys as read), read by getRange straight out of lmdb-js's key buffer.
      keyEncoder: {
        writeKey(key: StoreKey, target: Uint8Array, position: number): number {
          const bytes =
            key instanceof Uint8Array ? key : storageKeyCodec.encode(key, CHUNK_NAMESPACE)
          target.set(bytes, position)
          return position + bytes.length
        },
        readKey: (bytes: Uint8Array, start: number, end: number): StorageKey =>
          ranges.readKey(bytes, start, end),
      },
      // Values: written as given (save passes a fresh copy); getRange hands each value over
      // in lmdb-js's reused read buffer, to be copied out. Reads of single values use
      // getBinaryFast, which bypasses the encoder.
      encoder: {
        encode: (value: Uint8Array): Uint8Array => value,
        decode: (bytes: Uint8Array): Uint8Array => ranges.copyValue(bytes),
      },
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
      await checkFormat(db, path)
      return new LmdbStorageAdapter(path, db, ranges)
    } catch (error) {
      await db.close()
      throw error
    }
  }

  /**
   * Loads the bytes saved under `key`, or undefined when there are none.
   * @throws Error if the store is closed
   */
  async load(key: StorageKey): Promise<Uint8Array | undefined> {
    const encodedKey = this.#encodeKey('load', key)
    return this.#read(() => {
      // getBinaryFast returns a view of a buffer that lmdb-js reuses for the next read: copy.
      const record = this.#db.getBinaryFast(encodedKey)
      return record === undefined ? undefined : copyOf(record)
    })
  }

  /**
   * Saves `data` under `key`, replacing what was there; resolves once durable on disk.
   * @throws Error if the store is closed, or the key encodes to more than 1978 bytes
   */
  async save(key: StorageKey, data: Uint8Array): Promise<void> {
    const encodedKey = this.#encodeKey('save', key)
    // lmdb-js reads a Uint8Array value when it commits, not when put is called: store a copy,
    // so that a caller that reuses `data` right away cannot change what is stored.
    await this.#track(this.#db.put(encodedKey, new Uint8Array(data)))
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
   * (['a'] matches ['a'] and ['a', 'x'], not ['ab']), in the byte order of the encoded keys.
   * @throws Error if the store is closed or a key is corrupt
   */
  async loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    this.#encodeKey('loadRange', keyPrefix)
    // Copied now: the read may run later, after the caller changed its array.
    const prefix = [...keyPrefix]
    const range = storageKeyCodec.prefixRange(prefix, CHUNK_NAMESPACE)
    return this.#read(() => {
      const chunks: Chunk[] = []
      this.#ranges.begin(prefix, range.start.length)
      try {
        // getRange calls readKey and decode (see open) for every entry.
        for (const { key, value } of this.#db.getRange(range)) {
          chunks.push({ key: toStorageKey(key), data: value })
        }
      } finally {
        this.#ranges.end()
      }
      return chunks
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
      // Collected first: removing while the cursor walks the range could skip keys.
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

/**
 * Turns what getRange reads into chunks, for the key and value codecs that lmdb-js calls
 * synchronously on every entry, which only hand over lmdb-js's reused read buffers.
 *
 * Between {@link begin} and {@link end}, every key read starts with the given prefix (they
 * come from its range), whose components are shared rather than decoded again. Values are
 * copied into slabs: into the current slab if they fit, else into a new one of twice the
 * size (4 KiB, doubling up to 64 KiB, or the value's size if larger). One allocation then
 * serves many small values, and a value kept alive keeps at most its slab alive.
 */
class RangeReader {
  #known: { prefix: StorageKey; length: number } | undefined
  #slab = new Uint8Array(0)
  #used = 0
  #nextSize = MIN_SLAB_BYTES

  /**
   * Starts reading a range.
   * @param prefix - the key prefix of the range; every key read until {@link end} starts
   *   with it
   * @param length - the length of the prefix's encoding
   */
  begin(prefix: StorageKey, length: number): void {
    this.#known = { prefix, length }
  }

  /** Ends the range; the next one copies into new slabs. */
  end(): void {
    this.#known = undefined
    this.#slab = new Uint8Array(0)
    this.#used = 0
    this.#nextSize = MIN_SLAB_BYTES
  }

  /** Decodes the key at [start, end) of lmdb-js's key buffer. */
  readKey(bytes: Uint8Array, start: number, end: number): StorageKey {
    return storageKeyCodec.decode(bytes, start, end, this.#known)
  }

  /**
   * A copy, as a plain Uint8Array, of a value in lmdb-js's read buffer: its first
   * `bytes.length` bytes (lmdb-js sets that property on the buffer, whose byteLength is
   * larger).
   */
  copyValue(bytes: Uint8Array): Uint8Array {
    const size = bytes.length
    if (size > this.#slab.length - this.#used) {
      this.#slab = new Uint8Array(Math.max(this.#nextSize, size))
      this.#used = 0
      this.#nextSize = Math.min(this.#nextSize * 2, MAX_SLAB_BYTES)
    }
    const copy = new Uint8Array(this.#slab.buffer, this.#used, size)
    copy.set(new Uint8Array(bytes.buffer, bytes.byteOffset, size))
    this.#used += size
    return copy
  }
}

/** A copy of a buffer that getBinaryFast returned, the first `bytes.length` bytes of it. */
function copyOf(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length).slice()
}

/** Keys that getRange returns have been through readKey, so they are storage keys. */
function toStorageKey(key: StoreKey): StorageKey {
  return key instanceof Uint8Array ? storageKeyCodec.decode(key) : key
}

/**
 * Checks that the store at `path` is a Rowsync store of this format, writing the metadata
 * record if the store is new (empty).
 * @throws Error if the store holds other data, or a Rowsync store of another format
 */
async function checkFormat(db: Store, path: string): Promise<void> {
  const fast = db.getBinaryFast(META_KEY)
  const meta = fast === undefined ? undefined : copyOf(fast)
  if (meta === undefined) {
    // From the first key on: lmdb-js would otherwise start counting at 0x05.
    if (db.getKeysCount({ start: META_KEY, limit: 1 }) > 0) {
      throw new Error(
        `LmdbStorageAdapter.open: ${path} holds an LMDB database that is not a Rowsync store`,
      )
    }
    await db.put(META_KEY, META_RECORD)
    return
  }
  if (Buffer.compare(meta, META_RECORD) === 0) return
  throw new Error(
    `LmdbStorageAdapter.open: ${path} is a Rowsync store of ${describeFormat(meta)}; this ` +
      `version reads format ${FORMAT_VERSION} only (stores of format 1 came from development ` +
      `builds and can be deleted)`,
  )
}

/** Names the format of a metadata record that is not this version's. */
function describeFormat(meta: Uint8Array): string {
  // Format 1 wrote the format byte and a float64; later ones 'rowsync' and the format byte.
  if (meta.length === 9 && meta[0] === 1) return 'format 1'
  const format = meta[META_RECORD.length - 1]
  const tagged =
    meta.length === META_RECORD.length &&
    Buffer.compare(meta.subarray(0, -1), META_RECORD.subarray(0, -1)) === 0
  return tagged && format !== undefined ? `format ${format}` : 'an unknown format'
}

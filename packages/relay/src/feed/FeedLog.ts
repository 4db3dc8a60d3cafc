import type { StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo/slim'
import type { FieldValue } from '@rowsync/schema'
import type { Logger } from 'pino'
import type { FeedEntry, FeedRow } from './FeedEntry.ts'
import { sameHeads } from '@rowsync/schema'

/** First component of every feed key; never a document id (those are base58, without `-`). */
const FEED = 'rowsync-feed'
/** Entries per bucket: a read since SEQ loads whole buckets, so this bounds what it loads extra. */
const BUCKET_SIZE = 1000
/** Digits of a zero-padded sequence number: Number.MAX_SAFE_INTEGER has 16. */
const SEQ_DIGITS = 16
/**
 * Layout of the feed's records; bump it, and migrate, when a layout changes.
 * - 1: the keys and JSON values described on {@link FeedLog}.
 */
const FORMAT_VERSION = 1

const metaKey: StorageKey = [FEED, 'meta']
const pointerKey = (documentId: string): StorageKey => [FEED, 'doc', documentId]
const bucketKey = (bucket: number): StorageKey => [FEED, 'seq', pad(bucket)]
const entryKey = (seq: number): StorageKey => [...bucketKey(bucketOf(seq)), pad(seq)]
const bucketOf = (seq: number): number => Math.floor(seq / BUCKET_SIZE)

function pad(value: number): string {
  return String(value).padStart(SEQ_DIGITS, '0')
}

interface Meta {
  version: number
  /** The highest sequence number ever assigned. */
  last: number
  /** Whether every row document stored before the feed existed has been recorded. */
  complete: boolean
}

/** Where the latest entry of a document is, and the heads it recorded. */
interface Pointer {
  seq: number
  heads: string[]
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * The feed's records in the relay's storage, under their own key prefix:
 * - `['rowsync-feed', 'meta']`: `{ version, last, complete }`, the highest sequence number
 *   assigned and whether stored rows from before the feed are recorded;
 * - `['rowsync-feed', 'seq', BUCKET, SEQ]`: a {@link FeedEntry} as JSON, where SEQ is the
 *   sequence number and BUCKET is SEQ / 1000, both zero-padded to 16 digits so that key order
 *   is sequence order. Reading since SEQ loads the buckets from SEQ's on, so it costs what
 *   changed since SEQ, not the number of rows;
 * - `['rowsync-feed', 'doc', DOCUMENT_ID]`: `{ seq, heads }`, where the document's one entry is.
 *
 * An append removes the document's previous entry, so the feed holds one entry per row. All
 * records of one append are issued in one event turn, which RelayStorageAdapter commits as
 * one transaction (group commit), and `meta` is issued first, so a sequence number is never
 * handed out twice, even after a crash. Appends run one at a time, in call order.
 */
export class FeedLog {
  readonly #storage: StorageAdapterInterface
  readonly #logger: Logger
  #meta: Meta
  /**
   * The highest sequence number whose entry is durable. Readers see only this far: a device
   * keeps `last` as its cursor, so an entry still being written must not be behind it.
   */
  #durable: number
  /** The append running or last run; the next one waits for it. */
  #queue: Promise<unknown> = Promise.resolve()

  private constructor(storage: StorageAdapterInterface, logger: Logger, meta: Meta) {
    this.#storage = storage
    this.#logger = logger
    this.#meta = meta
    this.#durable = meta.last
  }

  /**
   * Opens the feed kept in `storage`; a store without one starts empty and not complete.
   * @throws Error when the stored feed has another format version or its metadata is corrupt
   */
  static async open(storage: StorageAdapterInterface, logger: Logger): Promise<FeedLog> {
    const bytes = await storage.load(metaKey)
    if (bytes === undefined) {
      return new FeedLog(storage, logger, { version: FORMAT_VERSION, last: 0, complete: false })
    }
    const meta = parseJson(bytes)
    if (
      !isRecord(meta) ||
      meta.version !== FORMAT_VERSION ||
      !isSequence(meta.last) ||
      typeof meta.complete !== 'boolean'
    ) {
      throw new Error(
        `FeedLog.open: the feed's metadata ${decoder.decode(bytes).slice(0, 200)} is not ` +
          `format ${FORMAT_VERSION}`,
      )
    }
    return new FeedLog(storage, logger, {
      version: FORMAT_VERSION,
      last: meta.last,
      complete: meta.complete,
    })
  }

  /** The highest sequence number whose entry is durable; 0 for an empty feed. */
  get last(): number {
    return this.#durable
  }

  /** Whether stored rows from before the feed existed have all been recorded. */
  get complete(): boolean {
    return this.#meta.complete
  }

  /**
   * Appends an entry for each row whose heads differ from its document's entry, numbered in
   * the given order, and removes those documents' previous entries. A document given twice
   * keeps its last state. Resolves, once durable, with the entries written.
   * @param rows - row states to record
   */
  append(rows: readonly FeedRow[]): Promise<FeedEntry[]> {
    const run = this.#queue.then(() => this.#append(rows))
    this.#queue = run.catch(() => undefined)
    return run
  }

  /** Marks the stored rows from before the feed as recorded; resolves once durable. */
  markComplete(): Promise<void> {
    const run = this.#queue.then(async () => {
      this.#meta = { ...this.#meta, complete: true }
      await this.#storage.save(metaKey, encodeJson(this.#meta))
    })
    this.#queue = run.catch(() => undefined)
    return run
  }

  /**
   * The entries with `after < seq <= through`, in sequence order, one bucket in memory at a
   * time. Entries appended while the scan runs may or may not be seen; a document's entry
   * that moves past `through` meanwhile is not seen (a later read since `through` sees it).
   * Corrupt records are logged and skipped.
   * @param after - the sequence number to start after
   * @param through - the last sequence number to read
   */
  async *scan(after: number, through: number): AsyncGenerator<FeedEntry> {
    for (let bucket = bucketOf(after + 1); bucket <= bucketOf(through); bucket++) {
      const chunks = await this.#storage.loadRange(bucketKey(bucket))
      const entries: FeedEntry[] = []
      for (const chunk of chunks) {
        const entry = chunk.data === undefined ? undefined : parseEntry(chunk.data)
        if (entry === undefined) {
          this.#logger.warn({ key: chunk.key }, 'Skipped a corrupt feed entry')
        } else if (entry.seq > after && entry.seq <= through) {
          entries.push(entry)
        }
      }
      // The storage lists keys in byte order, which is sequence order; the interface does not
      // promise any order, so sort anyway.
      entries.sort((a, b) => a.seq - b.seq)
      yield* entries
    }
  }

  async #append(rows: readonly FeedRow[]): Promise<FeedEntry[]> {
    const latest = new Map(rows.map((row) => [row.documentId, row]))
    const pointers = await Promise.all(
      [...latest.keys()].map(async (documentId) => this.#pointer(documentId)),
    )
    const appended: FeedEntry[] = []
    const previous: Array<Pointer | undefined> = []
    let seq = this.#meta.last
    for (const [index, row] of [...latest.values()].entries()) {
      const pointer = pointers[index]
      if (pointer !== undefined && sameHeads(pointer.heads, row.heads)) continue
      seq += 1
      appended.push({ ...row, seq })
      previous.push(pointer)
    }
    if (appended.length === 0) return []
    this.#meta = { ...this.#meta, last: seq }
    // Issued without an await in between, so they commit in one transaction; meta first.
    const writes: Array<Promise<void>> = [this.#storage.save(metaKey, encodeJson(this.#meta))]
    for (const [index, entry] of appended.entries()) {
      const pointer = previous[index]
      if (pointer !== undefined) writes.push(this.#storage.remove(entryKey(pointer.seq)))
      writes.push(this.#storage.save(entryKey(entry.seq), encodeJson(entry)))
      const next: Pointer = { seq: entry.seq, heads: [...entry.heads] }
      writes.push(this.#storage.save(pointerKey(entry.documentId), encodeJson(next)))
    }
    await Promise.all(writes)
    this.#durable = seq
    return appended
  }

  /**
   * The latest entry of a document, or undefined when the feed has none (or it is corrupt).
   * @param documentId - the row document
   */
  async entry(documentId: string): Promise<FeedEntry | undefined> {
    const pointer = await this.#pointer(documentId)
    if (pointer === undefined) return undefined
    const bytes = await this.#storage.load(entryKey(pointer.seq))
    const entry = bytes === undefined ? undefined : parseEntry(bytes)
    return entry?.documentId === documentId ? entry : undefined
  }

  async #pointer(documentId: string): Promise<Pointer | undefined> {
    const bytes = await this.#storage.load(pointerKey(documentId))
    if (bytes === undefined) return undefined
    const pointer = parseJson(bytes)
    if (isRecord(pointer) && isSequence(pointer.seq) && isStringArray(pointer.heads)) {
      return { seq: pointer.seq, heads: pointer.heads }
    }
    // A corrupt pointer loses the old entry's position; the new entry is still written.
    this.#logger.warn({ documentId }, 'Ignored a corrupt feed pointer')
    return undefined
  }
}

function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value))
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes))
  } catch {
    return undefined
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isSequence(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}

function isFieldValue(value: unknown): value is FieldValue {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  )
}

/** A stored entry, checked field by field (storage is untrusted input), or undefined. */
function parseEntry(bytes: Uint8Array): FeedEntry | undefined {
  const entry = parseJson(bytes)
  if (
    !isRecord(entry) ||
    !isSequence(entry.seq) ||
    typeof entry.documentId !== 'string' ||
    typeof entry.table !== 'string' ||
    typeof entry.id !== 'string' ||
    !isStringArray(entry.heads) ||
    typeof entry.deleted !== 'boolean' ||
    !isRecord(entry.values) ||
    !Object.values(entry.values).every(isFieldValue) ||
    !isStringArray(entry.flagged)
  ) {
    return undefined
  }
  return {
    seq: entry.seq,
    documentId: entry.documentId,
    table: entry.table,
    id: entry.id,
    heads: entry.heads,
    deleted: entry.deleted,
    values: entry.values as Record<string, FieldValue>,
    flagged: entry.flagged,
    // Entries written before the field existed: a delete conflict is rare, and the next change
    // of the row records it.
    deleteConflict: entry.deleteConflict === true,
  }
}

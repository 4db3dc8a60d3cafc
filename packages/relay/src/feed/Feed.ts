import type { StorageAdapterInterface } from '@automerge/automerge-repo/slim'
import type { ProjectionResult, RowProjection } from '@rowsync/schema'
import type { Logger } from 'pino'
import type { FeedEntry, FeedRow } from './FeedEntry.ts'
import { FeedLog } from './FeedLog.ts'

/** Projects a row document the relay holds; undefined when it holds none. */
export type ProjectDocument = (documentId: string) => Promise<ProjectionResult | undefined>

/** One page of the feed; see {@link Feed.page}. */
export interface FeedPage {
  /** Matching entries, in sequence order. */
  readonly entries: readonly FeedEntry[]
  /** Where the next page starts (pass it as `since`), or null when the page reached `last`. */
  readonly next: number | null
  /** The feed's highest sequence number when the page was read. */
  readonly last: number
}

/** What {@link Feed.page} reads. */
export interface FeedPageOptions {
  /** Entries after this sequence number. */
  readonly since: number
  /** The most entries to return. */
  readonly limit: number
  /** Which entries to return (for example the rows the user may read). */
  readonly include: (entry: FeedEntry) => boolean
  /**
   * The most entries to examine, so a user who may read few rows cannot make one request scan
   * the whole feed; a page may then hold fewer than `limit` entries while `next` is not null.
   * Default 10,000 or `limit`, whichever is larger.
   */
  readonly maxScanned?: number
}

/** A document waiting for the next append: who waits, and its state when the caller knew it. */
interface Pending {
  readonly waiters: Array<() => void>
  known: RowProjection | undefined
}

/** Default of {@link FeedPageOptions.maxScanned}. */
const defaultMaxScanned = 10_000
/** Documents recorded in one append (one storage transaction). */
const batchSize = 1000

/**
 * The relay's feed: an append-only log of accepted row changes, numbered by a sequence that
 * survives restarts, holding the latest entry of each row document (see {@link FeedLog} for
 * the storage layout). The relay calls {@link record} after it saved a document's change;
 * documents recorded while an append runs are gathered into the next one, so bursts of changes
 * cost few storage transactions.
 */
export class Feed {
  readonly #log: FeedLog
  readonly #project: ProjectDocument
  readonly #logger: Logger
  readonly #storage: StorageAdapterInterface
  /** Documents waiting for the next append, with the callers waiting for it. */
  readonly #pending = new Map<string, Pending>()
  #draining: Promise<void> | undefined
  #closed = false
  /** Appends that failed so far; a backfill that saw one is not marked complete. */
  #failedAppends = 0

  private constructor(
    log: FeedLog,
    storage: StorageAdapterInterface,
    project: ProjectDocument,
    logger: Logger,
  ) {
    this.#log = log
    this.#storage = storage
    this.#project = project
    this.#logger = logger
  }

  /**
   * Opens the feed kept in the relay's storage.
   * @param options.storage - the relay's storage; the feed keeps its records there
   * @param options.project - reads a row document's current state
   * @param options.logger - receives skipped documents and corrupt records
   * @throws Error when the stored feed is of another format
   */
  static async open(options: {
    storage: StorageAdapterInterface
    project: ProjectDocument
    logger: Logger
  }): Promise<Feed> {
    const log = await FeedLog.open(options.storage, options.logger)
    return new Feed(log, options.storage, options.project, options.logger)
  }

  /** The highest sequence number assigned so far; 0 for an empty feed. */
  get last(): number {
    return this.#log.last
  }

  /**
   * Records row documents stored before the feed existed, once per store; later calls do
   * nothing. It lists the store's keys in one read, so it costs memory in proportion to the
   * store, once; call it before the relay accepts peers. When an append fails it logs the
   * failure and leaves the backfill to the next start.
   */
  async backfill(): Promise<void> {
    if (this.#log.complete) return
    const documentIds = new Set<string>()
    for (const { key } of await this.#storage.loadRange([])) {
      const [documentId, kind] = key
      if (documentId !== undefined && (kind === 'snapshot' || kind === 'incremental')) {
        documentIds.add(documentId)
      }
    }
    if (documentIds.size > 0) {
      this.#logger.info({ documents: documentIds.size }, 'Recording stored rows in the feed')
    }
    const failuresBefore = this.#failedAppends
    await Promise.all([...documentIds].sort().map(async (documentId) => this.record(documentId)))
    if (this.#failedAppends > failuresBefore) {
      this.#logger.error('Recording stored rows in the feed failed; the next start tries again')
      return
    }
    await this.#log.markComplete()
  }

  /**
   * Records the current state of a row document: appends an entry unless its heads equal the
   * document's entry. A document that is not a valid row is logged and skipped. Never rejects.
   * @param documentId - a row document whose change the relay saved
   * @param known - the row as just stored, when the caller derived it (spares loading the
   *   document); a later call without it for the same document in the same append wins
   * @returns resolves once the entry is durable (or the document was skipped)
   */
  record(documentId: string, known?: RowProjection): Promise<void> {
    if (this.#closed) return Promise.resolve()
    return new Promise((resolve) => {
      const pending = this.#pending.get(documentId)
      if (pending) {
        pending.waiters.push(resolve)
        pending.known = known
      } else {
        this.#pending.set(documentId, { waiters: [resolve], known })
      }
      this.#draining ??= this.#drain()
    })
  }

  /**
   * Reads the entries after `since` that `include` accepts, in sequence order, up to the
   * feed's last sequence number at the call. It examines only entries after `since` (the rows
   * that changed since then), never the whole feed. A `since` above `last` (a cursor from a
   * reset relay) gives no entries.
   * @param options - see {@link FeedPageOptions}
   */
  async page(options: FeedPageOptions): Promise<FeedPage> {
    const last = this.#log.last
    const maxScanned = Math.max(options.maxScanned ?? defaultMaxScanned, options.limit)
    const entries: FeedEntry[] = []
    let scanned = 0
    for await (const entry of this.#log.scan(options.since, last)) {
      scanned += 1
      if (options.include(entry)) entries.push(entry)
      if (entries.length >= options.limit || scanned >= maxScanned) {
        return { entries, next: entry.seq >= last ? null : entry.seq, last }
      }
    }
    return { entries, next: null, last }
  }

  /**
   * The latest entry of a row document, or undefined when the feed has none.
   * @param documentId - the row document
   */
  entry(documentId: string): Promise<FeedEntry | undefined> {
    return this.#log.entry(documentId)
  }

  /**
   * Every entry up to `through`, in sequence order, a bucket of entries in memory at a time.
   * @param through - the last sequence number to read
   */
  entries(through: number): AsyncGenerator<FeedEntry> {
    return this.#log.scan(0, through)
  }

  /** Waits for the append under way; later {@link record} calls are ignored. */
  async close(): Promise<void> {
    this.#closed = true
    await this.#draining
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.size > 0) {
        const batch = [...this.#pending].slice(0, batchSize)
        for (const [documentId] of batch) this.#pending.delete(documentId)
        try {
          await this.#append(batch)
        } catch (error) {
          this.#failedAppends += 1
          this.#logger.error(
            { error, documents: batch.length },
            'Could not record changes in the feed',
          )
        }
        for (const [, { waiters }] of batch) for (const resolve of waiters) resolve()
      }
    } finally {
      // Cleared in the same turn as the last check of #pending, so no record call is missed.
      this.#draining = undefined
    }
  }

  async #append(batch: ReadonlyArray<readonly [string, Pending]>): Promise<void> {
    const rows: FeedRow[] = []
    const projections = await Promise.all(
      batch.map(async ([documentId, { known }]) =>
        known ? { ok: true as const, projection: known } : this.#project(documentId),
      ),
    )
    for (const [index, result] of projections.entries()) {
      const documentId = batch[index]?.[0] ?? ''
      if (result === undefined) continue
      if (!result.ok) {
        this.#logger.warn({ documentId, reason: result.reason }, 'Feed skipped an invalid row')
        continue
      }
      const { table, id, heads, deleted, values, flagged, deleteConflict } = result.projection
      rows.push({ documentId, table, id, heads, deleted, values, flagged, deleteConflict })
    }
    const appended = await this.#log.append(rows)
    if (appended.length > 0) {
      this.#logger.debug(
        { entries: appended.length, last: this.#log.last },
        'Appended feed entries',
      )
    }
  }
}

import type { StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo/slim'

/** The storage writes of one logical change, committed together with others (group commit). */
export interface CommitWrite {
  /** The document the write belongs to, recorded in the journal for recovery. */
  readonly documentId: string
  /** A change made on this device, which must reach the outbox (recorded in the journal). */
  readonly local: boolean
  readonly saves: ReadonlyArray<readonly [StorageKey, Uint8Array]>
  /** Keys removed only after every save of the batch is durable (compaction leftovers). */
  readonly removes: readonly StorageKey[]
}

interface Pending {
  readonly write: CommitWrite
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

/**
 * A journal record: the documents of a batch, whose projections may lag their chunks after a
 * crash, and those of them with local changes, which may be missing from the outbox.
 */
export interface JournalRecord {
  readonly documents: readonly string[]
  readonly local: readonly string[]
}

/** The key prefix of journal records: documents whose projection may lag their chunks. */
export const journalPrefix: StorageKey = ['journal']

/**
 * Commits writes in batches: every write queued while a batch is being written goes into the
 * next one, so a burst of writes costs one journal record and one durable flush per batch
 * instead of one per write. Order per batch: journal, saves, then (best effort, off the
 * acknowledgement path) removes and the journal record itself; a crash at any point leaves a
 * journal that names every document whose projection must be re-derived on open.
 */
export class CommitQueue {
  readonly #storage: StorageAdapterInterface
  readonly #writer: string
  readonly #onDurable: (writes: readonly CommitWrite[]) => void
  #pending: Pending[] = []
  #flushing: Promise<void> | undefined
  #sequence = 0

  /**
   * @param storage - where writes go; its promises must resolve only once data is durable
   * @param writer - names this queue's journal records apart from other writers on the storage
   * @param onDurable - called once per batch after its saves are durable, before any write's
   *   promise resolves; must not throw
   */
  constructor(
    storage: StorageAdapterInterface,
    writer: string,
    onDurable: (writes: readonly CommitWrite[]) => void,
  ) {
    this.#storage = storage
    this.#writer = writer
    this.#onDurable = onDurable
  }

  /**
   * Queues a write and resolves once it is durable.
   * @param write - the saves and removes of one change
   * @throws the storage error when the batch could not be written; the write may still have
   *   reached storage, and the journal makes the next open re-derive its projection
   */
  commit(write: CommitWrite): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ write, resolve, reject })
      this.#flushing ??= this.#flushAll()
    })
  }

  /** Resolves once every queued write has been attempted. */
  async drain(): Promise<void> {
    await this.#flushing
  }

  async #flushAll(): Promise<void> {
    try {
      // Yield once so every write issued in the same turn joins the first batch.
      await Promise.resolve()
      while (this.#pending.length > 0) {
        const batch = this.#pending
        this.#pending = []
        await this.#flush(batch)
      }
    } finally {
      this.#flushing = undefined
    }
  }

  async #flush(batch: readonly Pending[]): Promise<void> {
    const writes = batch.map((pending) => pending.write)
    const journalKey = [...journalPrefix, this.#writer, String(this.#sequence++).padStart(12, '0')]
    const record: JournalRecord = {
      documents: [...new Set(writes.map((write) => write.documentId))],
      local: [...new Set(writes.filter((write) => write.local).map((write) => write.documentId))],
    }
    try {
      await this.#storage.save(journalKey, new TextEncoder().encode(JSON.stringify(record)))
      await Promise.all(
        writes.flatMap((write) => write.saves.map(([key, data]) => this.#storage.save(key, data))),
      )
    } catch (error) {
      for (const pending of batch) pending.reject(error)
      return
    }
    this.#onDurable(writes)
    for (const pending of batch) pending.resolve()
    // Leftover chunks merge idempotently and a leftover journal only makes the next open
    // re-check its documents, so these removals never fail a write.
    await Promise.all([
      ...writes.flatMap((write) => write.removes.map((key) => this.#storage.remove(key))),
      this.#storage.remove(journalKey),
    ]).catch(() => undefined)
  }
}

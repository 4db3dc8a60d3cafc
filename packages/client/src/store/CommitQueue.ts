import type { StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo/slim'

/** The storage writes of one logical change, committed together with others (group commit). */
export interface CommitWrite {
  /** The document the write belongs to, recorded in the journal for recovery. */
  readonly documentId: string
  readonly saves: ReadonlyArray<readonly [StorageKey, Uint8Array]>
  /** Keys removed only after every save of the batch is durable (compaction leftovers). */
  readonly removes: readonly StorageKey[]
}

interface Pending {
  readonly write: CommitWrite
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

/** The key prefix of journal records: documents whose projection may lag their chunks. */
export const journalPrefix: StorageKey = ['journal']

/**
 * Commits writes in batches: every write queued while a batch is being written goes into the
 * next one, so a burst of writes costs one journal record and one durable flush per batch
 * instead of one per write. Order per batch: journal, saves, removes, then the journal record is
 * dropped; a crash at any point leaves either the old state or a journal that names every
 * document whose projection must be rebuilt on open.
 */
export class CommitQueue {
  readonly #storage: StorageAdapterInterface
  readonly #onDurable: (writes: readonly CommitWrite[]) => void
  #pending: Pending[] = []
  #flushing: Promise<void> | undefined
  #sequence = 0

  /**
   * @param storage - where writes go; its promises must resolve only once data is durable
   * @param onDurable - called once per batch after its saves are durable, before any write's
   *   promise resolves
   */
  constructor(
    storage: StorageAdapterInterface,
    onDurable: (writes: readonly CommitWrite[]) => void,
  ) {
    this.#storage = storage
    this.#onDurable = onDurable
  }

  /**
   * Queues a write and resolves once it is durable.
   * @param write - the saves and removes of one change
   * @throws the storage error when the batch could not be written
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
    // Yield once so every write issued in the same turn joins the first batch.
    await Promise.resolve()
    while (this.#pending.length > 0) {
      const batch = this.#pending
      this.#pending = []
      await this.#flush(batch)
    }
    this.#flushing = undefined
  }

  async #flush(batch: readonly Pending[]): Promise<void> {
    const writes = batch.map((pending) => pending.write)
    const journalKey = [...journalPrefix, String(this.#sequence++).padStart(12, '0')]
    const documentIds = [...new Set(writes.map((write) => write.documentId))]
    try {
      await this.#storage.save(journalKey, new TextEncoder().encode(JSON.stringify(documentIds)))
      await Promise.all(
        writes.flatMap((write) => write.saves.map(([key, data]) => this.#storage.save(key, data))),
      )
      await Promise.all(
        writes.flatMap((write) => write.removes.map((key) => this.#storage.remove(key))),
      )
      this.#onDurable(writes)
    } catch (error) {
      for (const pending of batch) pending.reject(error)
      return
    }
    for (const pending of batch) pending.resolve()
    await this.#storage.remove(journalKey).catch(() => {
      // A journal record left behind only makes the next open re-check these documents.
    })
  }
}

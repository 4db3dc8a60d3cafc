import {
  type RowDocument,
  type ProjectionResult,
  type RowProjection,
  sameHeads,
} from '@rowsync/schema'
import * as Automerge from '@automerge/automerge'
import { concatBytes } from '@noble/hashes/utils'
import type { StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo/slim'
import type { Logger } from '../Logger.ts'
import { CommitQueue, journalPrefix, type CommitWrite, type JournalRecord } from './CommitQueue.ts'
import { DocumentCache, type CachedDocument } from './DocumentCache.ts'

type RowDoc = Automerge.Doc<RowDocument>

/** Derives a row's projection from its document, or says why the document is not a valid row. */
export type Projector = (documentId: string, doc: RowDoc) => ProjectionResult

/** Options of {@link RowStore.open}. */
export interface RowStoreOptions {
  readonly storage: StorageAdapterInterface
  /** The Automerge actor id (hex) of local changes. */
  readonly actor: string
  readonly project: Projector
  /** Called once per durable batch with the projections it changed. */
  readonly onCommit: (projections: readonly RowProjection[]) => void
  /** Called when documents left the store ({@link RowStore.remove}). */
  readonly onRemove: (projections: readonly RowProjection[]) => void
  /** The most documents kept loaded. */
  readonly maxLoadedDocuments: number
  readonly logger: Logger
}

/**
 * A row document with local changes the relay has not acknowledged: the outbox, whose size
 * people see as "pending upload".
 */
export interface OutboxEntry {
  /**
   * The document's heads before its first unacknowledged local change, which the relay has;
   * `undefined` when unknown (after a crash), so the whole document is sent.
   */
  readonly base: readonly string[] | undefined
  /** Counts local changes; an acknowledgement of an older generation keeps the entry. */
  readonly generation: number
}

/** A document with the projection its sender derived, stored without loading it. */
export interface AdoptedDocument {
  readonly documentId: string
  readonly projection: RowProjection
  readonly document: Uint8Array
}

/** The outcome of {@link RowStore.mutate}. */
export type MutationResult =
  { ok: true; projection: RowProjection; changed: boolean } | { ok: false; reason: string }

const documentPrefix = 'doc'
const projectionPrefix = 'row'
const outboxPrefix = 'outbox'
/** A document is rewritten as one snapshot once it is stored in this many chunks. */
const compactAfterChunks = 8
const encoder = new TextEncoder()
const decoder = new TextDecoder()

function projectionKey(documentId: string): StorageKey {
  return [projectionPrefix, documentId]
}

function outboxKey(documentId: string): StorageKey {
  return [outboxPrefix, documentId]
}

/** A projection as stored: without its document id, which is in its key. */
function encodeProjection({ documentId: _, ...stored }: RowProjection): Uint8Array {
  return encoder.encode(JSON.stringify(stored))
}

/**
 * A journal record; a bare list of documents (the first format) says nothing of which were
 * local, so all count as local.
 * @throws Error when the record is not readable
 */
function decodeJournal(data: Uint8Array | undefined): JournalRecord {
  const value: unknown = data && JSON.parse(decoder.decode(data))
  const isIds = (ids: unknown): ids is string[] =>
    Array.isArray(ids) && ids.every((id) => typeof id === 'string')
  if (isIds(value)) return { documents: value, local: value }
  const record = value as Partial<JournalRecord> | null
  if (record && isIds(record.documents) && isIds(record.local)) {
    return { documents: record.documents, local: record.local }
  }
  throw new Error('not a journal record')
}

/** An outbox record's base heads; undefined (send everything) when unreadable. */
function decodeBase(data: Uint8Array | undefined): readonly string[] | undefined {
  try {
    const value: unknown = data && JSON.parse(decoder.decode(data))
    return Array.isArray(value) && value.every((head) => typeof head === 'string')
      ? value
      : undefined
  } catch {
    return undefined
  }
}

function decodeProjection(documentId: string, data: Uint8Array): RowProjection | undefined {
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(data))
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const record = value as Record<string, unknown>
  record.documentId = documentId
  return isProjection(record) ? record : undefined
}

function isProjection(
  record: Record<string, unknown>,
): record is Record<string, unknown> & RowProjection {
  return (
    typeof record.table === 'string' &&
    typeof record.id === 'string' &&
    typeof record.deleted === 'boolean' &&
    typeof record.values === 'object' &&
    record.values !== null &&
    Array.isArray(record.flagged) &&
    typeof record.deleteConflict === 'boolean' &&
    Array.isArray(record.heads)
  )
}

/**
 * The durable home of row documents on a device. Each document is stored as chunks (a snapshot
 * plus incremental changes) next to its projection; projections are all read on open, documents
 * only when a row is written, merged or inspected, and at most `maxLoadedDocuments` stay loaded.
 * Every mutation is durable before its promise resolves, and concurrent mutations share
 * flushes (see {@link CommitQueue}).
 */
export class RowStore {
  readonly #storage: StorageAdapterInterface
  readonly #actor: string
  readonly #project: Projector
  readonly #logger: Logger
  readonly #cache: DocumentCache<RowDocument>
  readonly #commits: CommitQueue
  readonly #projections = new Map<string, RowProjection>()
  readonly #queues = new Map<string, Promise<unknown>>()
  readonly #outbox = new Map<string, OutboxEntry>()
  readonly #onRemove: (projections: readonly RowProjection[]) => void
  #staged = new Map<string, RowProjection>()
  /** Outbox entries of writes being committed; they join the outbox once durable. */
  readonly #stagedOutbox = new Map<string, OutboxEntry>()

  private constructor(options: RowStoreOptions) {
    this.#storage = options.storage
    this.#actor = options.actor
    this.#project = options.project
    this.#logger = options.logger
    this.#onRemove = options.onRemove
    this.#cache = new DocumentCache(options.maxLoadedDocuments)
    this.#commits = new CommitQueue(options.storage, options.actor, (writes) => {
      const changed: RowProjection[] = []
      for (const write of writes) {
        const outbox = this.#stagedOutbox.get(write.documentId)
        if (outbox) this.#outbox.set(write.documentId, outbox)
        this.#stagedOutbox.delete(write.documentId)
        const projection = this.#staged.get(write.documentId)
        if (!projection) continue
        this.#staged.delete(write.documentId)
        this.#projections.set(write.documentId, projection)
        changed.push(projection)
      }
      options.onCommit(changed)
    })
  }

  /**
   * Opens the store: reads every projection, and rebuilds those a crash may have left behind
   * their documents (named by leftover journal records) or that cannot be read.
   * @param options - see {@link RowStoreOptions}
   */
  static async open(options: RowStoreOptions): Promise<RowStore> {
    const store = new RowStore(options)
    await store.#load()
    return store
  }

  /** Every committed projection by document id, deleted rows included. */
  get projections(): ReadonlyMap<string, RowProjection> {
    return this.#projections
  }

  /** Row documents with local changes the relay has not acknowledged. */
  get outbox(): ReadonlyMap<string, OutboxEntry> {
    return this.#outbox
  }

  /**
   * Changes one document under its lock and resolves once the change is durable. The callback
   * gets the current document (or `undefined` if there is none) and returns the next one; if it
   * returns the same heads nothing is written. A result that does not project to a valid row is
   * refused and the document returns to its stored state.
   * @param documentId - the row document
   * @param change - builds the next document state
   * @param options.local - the change was made on this device: the document joins the outbox
   *   in the same durable write
   * @throws the storage error if the change could not be made durable; it was then not applied
   */
  mutate(
    documentId: string,
    change: (doc: RowDoc | undefined) => RowDoc,
    { local = false } = {},
  ): Promise<MutationResult> {
    return this.#withDocument(documentId, async (entry) => {
      const before = entry ? Automerge.getHeads(entry.doc) : []
      let doc: RowDoc
      try {
        doc = change(entry?.doc)
      } catch (error) {
        // The change may have touched the loaded document; reload it from storage next time.
        this.#cache.evict(documentId)
        throw error
      }
      // Automerge outdates the document a change or merge was applied to, even a no-op one.
      if (entry) entry.doc = doc
      const heads = Automerge.getHeads(doc)
      const current = this.#projections.get(documentId)
      if (entry && current && sameHeads(heads, before)) {
        return { ok: true, projection: current, changed: false }
      }
      const next: CachedDocument<RowDocument> = entry ?? { doc, persistedHeads: [], chunkKeys: [] }
      this.#cache.set(documentId, next)
      try {
        const result = this.#project(documentId, doc)
        if (!result.ok) {
          this.#forget(documentId, doc)
          return result
        }
        const queued = this.#outbox.get(documentId)
        const outbox = local
          ? { base: queued ? queued.base : before, generation: (queued?.generation ?? 0) + 1 }
          : undefined
        await this.#persist(documentId, next, result.projection, outbox)
        return { ok: true, projection: result.projection, changed: true }
      } catch (error) {
        this.#forget(documentId, doc)
        throw error
      }
    })
  }

  /**
   * Runs a read-only function on a document under its lock.
   * @param documentId - the row document
   * @param read - must not keep the document after it returns
   * @returns what `read` returned, or `undefined` when there is no such document
   */
  view<R>(documentId: string, read: (doc: RowDoc) => R): Promise<R | undefined> {
    return this.#withDocument(documentId, (entry) =>
      Promise.resolve(entry ? read(entry.doc) : undefined),
    )
  }

  /**
   * Stores a document this device does not hold with the projection its sender derived,
   * without loading it: the fast path of a download. Durable when the promise resolves.
   * @param adopted - the document and its projection (trusted to match the document)
   * @returns the stored projection, or `exists` (nothing done) when the document is here:
   *   merge it instead
   * @throws the storage error if it could not be stored
   */
  adopt(adopted: AdoptedDocument): Promise<RowProjection | 'exists'> {
    const { documentId, projection, document } = adopted
    return this.#withDocument(documentId, async (entry) => {
      if (entry) return 'exists'
      const chunkKey = [documentPrefix, documentId, 'snapshot', projection.heads[0] ?? 'empty']
      const write: CommitWrite = {
        documentId,
        local: false,
        saves: [
          [chunkKey, document],
          [projectionKey(documentId), encodeProjection(projection)],
        ],
        removes: [],
      }
      this.#staged.set(documentId, projection)
      try {
        await this.#commits.commit(write)
      } finally {
        this.#staged.delete(documentId)
      }
      return projection
    })
  }

  /**
   * The changes of a document after `base` (the whole document when `base` is undefined), for
   * an upload, with the outbox generation they cover.
   * @returns undefined when the document is not here
   */
  changesSince(
    documentId: string,
    base: readonly string[] | undefined,
  ): Promise<{ data: Uint8Array; heads: string[]; generation: number } | undefined> {
    return this.view(documentId, (doc) => {
      const known = base !== undefined && Automerge.hasHeads(doc, [...base])
      return {
        data: known ? Automerge.saveSince(doc, [...base]) : Automerge.save(doc),
        heads: Automerge.getHeads(doc),
        generation: this.#outbox.get(documentId)?.generation ?? 0,
      }
    })
  }

  /**
   * Takes a document out of the outbox once the relay acknowledged its changes, unless a local
   * change was made since the acknowledged upload was read.
   * @param generation - the outbox generation the upload covered
   */
  async acknowledge(documentId: string, generation: number): Promise<void> {
    await this.#withQueue(documentId, async () => {
      if (this.#outbox.get(documentId)?.generation !== generation) return
      await this.#storage.remove(outboxKey(documentId))
      this.#outbox.delete(documentId)
    })
  }

  /**
   * Puts a document back in the outbox, to be sent whole (the relay did not take changes it
   * had acknowledged as part of an earlier upload).
   */
  async requeue(documentId: string): Promise<void> {
    await this.#withQueue(documentId, async () => {
      if (this.#outbox.has(documentId) || !this.#projections.has(documentId)) return
      await this.#storage.save(outboxKey(documentId), encoder.encode('null'))
      this.#outbox.set(documentId, { base: undefined, generation: 0 })
    })
  }

  /**
   * Removes a document and its projection from this device (the row left the user's scope,
   * or its local changes were discarded).
   */
  async remove(documentId: string): Promise<void> {
    await this.#withQueue(documentId, async () => {
      const projection = this.#projections.get(documentId)
      // The projection goes first: leftover chunks without one stay hidden and merge with
      // the document if it ever comes back.
      await this.#storage.remove(projectionKey(documentId))
      await this.#storage.remove(outboxKey(documentId))
      await this.#storage.removeRange([documentPrefix, documentId])
      this.#cache.evict(documentId)
      this.#outbox.delete(documentId)
      this.#projections.delete(documentId)
      if (projection) this.#onRemove([projection])
    })
  }

  /** Waits for queued writes, then frees every loaded document. */
  async close(): Promise<void> {
    await Promise.all(this.#queues.values())
    await this.#commits.drain()
    this.#cache.clear()
  }

  /** Drops a document whose latest state must not be kept; the next use reloads it from storage. */
  #forget(documentId: string, doc: RowDoc): void {
    // A change or merge returns a new proxy over the cached document's wasm handle, so a cached
    // document is freed once, through the cache; a document that was never cached is freed here.
    if (this.#cache.get(documentId)?.doc === doc) this.#cache.evict(documentId)
    else Automerge.free(doc)
  }

  async #persist(
    documentId: string,
    entry: CachedDocument<RowDocument>,
    projection: RowProjection,
    outbox?: OutboxEntry,
  ): Promise<void> {
    const heads = Automerge.getHeads(entry.doc)
    const compact = entry.chunkKeys.length >= compactAfterChunks
    // Named by a change that no earlier chunk holds (a new head), so chunk keys never collide
    // and stay short however many concurrent heads a row has.
    const newHead = heads.find((head) => !entry.persistedHeads.includes(head)) ?? 'empty'
    const chunkKey: StorageKey = [
      documentPrefix,
      documentId,
      compact ? 'snapshot' : 'incremental',
      newHead,
    ]
    const chunk = compact
      ? Automerge.save(entry.doc)
      : Automerge.saveSince(entry.doc, entry.persistedHeads)
    const write: CommitWrite = {
      documentId,
      local: outbox !== undefined,
      saves: [
        [chunkKey, chunk],
        [projectionKey(documentId), encodeProjection(projection)],
        ...(outbox && !this.#outbox.has(documentId)
          ? [[outboxKey(documentId), encoder.encode(JSON.stringify(outbox.base))] as const]
          : []),
      ],
      removes: compact ? entry.chunkKeys : [],
    }
    this.#staged.set(documentId, projection)
    if (outbox) this.#stagedOutbox.set(documentId, outbox)
    try {
      await this.#commits.commit(write)
    } finally {
      this.#staged.delete(documentId)
      this.#stagedOutbox.delete(documentId)
    }
    entry.persistedHeads = heads
    entry.chunkKeys = compact ? [chunkKey] : [...entry.chunkKeys, chunkKey]
  }

  #withDocument<R>(
    documentId: string,
    task: (entry: CachedDocument<RowDocument> | undefined) => Promise<R>,
  ): Promise<R> {
    return this.#withQueue(documentId, async () => {
      this.#cache.pin(documentId)
      try {
        return await task(this.#cache.get(documentId) ?? (await this.#loadDocument(documentId)))
      } finally {
        this.#cache.unpin(documentId)
      }
    })
  }

  /** Runs a task on a document's queue: after every earlier task of that document. */
  #withQueue<R>(documentId: string, task: () => Promise<R>): Promise<R> {
    const previous = this.#queues.get(documentId) ?? Promise.resolve()
    const run = previous.then(task)
    const settled = run.then(
      () => undefined,
      () => undefined,
    )
    this.#queues.set(documentId, settled)
    void settled.then(() => {
      if (this.#queues.get(documentId) === settled) this.#queues.delete(documentId)
    })
    return run
  }

  async #loadDocument(documentId: string): Promise<CachedDocument<RowDocument> | undefined> {
    const chunks = await this.#storage.loadRange([documentPrefix, documentId])
    if (chunks.length === 0) return undefined
    const doc = Automerge.loadIncremental(
      Automerge.init<RowDocument>({ actor: this.#actor }),
      concatBytes(...chunks.flatMap((chunk) => (chunk.data ? [chunk.data] : []))),
    )
    const entry: CachedDocument<RowDocument> = {
      doc,
      persistedHeads: Automerge.getHeads(doc),
      chunkKeys: chunks.map((chunk) => chunk.key),
    }
    this.#cache.set(documentId, entry)
    return entry
  }

  async #load(): Promise<void> {
    const stale = new Set<string>()
    for (const { key, data } of await this.#storage.loadRange([projectionPrefix])) {
      const documentId = key[1]
      if (documentId === undefined) continue
      const projection = data && decodeProjection(documentId, data)
      if (projection) this.#projections.set(documentId, projection)
      else stale.add(documentId)
    }
    for (const { key, data } of await this.#storage.loadRange([outboxPrefix])) {
      const documentId = key[1]
      if (documentId === undefined) continue
      this.#outbox.set(documentId, { base: decodeBase(data), generation: 0 })
    }
    const journals = await this.#storage.loadRange(journalPrefix)
    const local = new Set<string>()
    for (const { data } of journals) {
      try {
        const record = decodeJournal(data)
        for (const documentId of record.documents) stale.add(documentId)
        for (const documentId of record.local) local.add(documentId)
      } catch {
        this.#logger.warn(
          {},
          'Unreadable journal record; its documents will be re-checked when changed',
        )
      }
    }
    let rebuilt = true
    for (const documentId of stale) rebuilt = (await this.#rebuild(documentId)) && rebuilt
    // A crash may have cut a local change's outbox record: send the whole document, if the
    // change reached storage at all.
    for (const documentId of local) {
      if (this.#outbox.has(documentId) || !this.#projections.has(documentId)) continue
      this.#outbox.set(documentId, { base: undefined, generation: 0 })
      await this.#storage.save(outboxKey(documentId), encoder.encode('null'))
    }
    // Journals stay until every document they name is rebuilt, so the next open tries again.
    if (rebuilt) for (const { key } of journals) await this.#storage.remove(key)
  }

  /** Re-derives a projection from its document; a row that cannot be derived is hidden. */
  async #rebuild(documentId: string): Promise<boolean> {
    let entry: CachedDocument<RowDocument> | undefined
    try {
      entry = await this.#loadDocument(documentId)
    } catch (error) {
      this.#projections.delete(documentId)
      this.#logger.warn({ documentId, error }, 'Stored row document cannot be loaded')
      return false
    }
    if (!entry) {
      this.#projections.delete(documentId)
      await this.#storage.remove(projectionKey(documentId))
      return true
    }
    const result = this.#project(documentId, entry.doc)
    if (!result.ok) {
      this.#projections.delete(documentId)
      this.#logger.warn(
        { documentId, reason: result.reason },
        'Stored row document is not a valid row',
      )
      return false
    }
    this.#projections.set(documentId, result.projection)
    await this.#storage.save(projectionKey(documentId), encodeProjection(result.projection))
    return true
  }
}

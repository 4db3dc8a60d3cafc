import * as Automerge from '@automerge/automerge'
import type { StorageAdapterInterface } from '@automerge/automerge-repo/slim'
import {
  projectRow,
  type ProjectionResult,
  type RowDocument,
  type RowProjection,
  type Schema,
  sameHeads,
} from '@rowsync/schema'
import { snapshotHash } from './snapshotHash.ts'
import { emptyDocument } from '../sync/emptyDocument.ts'

/** The relay's live copy of a document, when its repo has one loaded and ready. */
export type LiveDocument = (documentId: string) => Automerge.Doc<RowDocument> | undefined

/** A row document's bytes with the projection of exactly those bytes; see {@link RowDocuments.export}. */
export interface ExportedRow {
  readonly document: Uint8Array
  readonly projection: RowProjection
}

/**
 * Reads the relay's row documents without keeping them: the repo's live copy when it has one
 * loaded, else the stored chunks, loaded for one use and freed at once, so reads of many rows
 * (the feed, snapshots, the rows API) hold one document in memory at a time and leave the
 * repo's handles alone.
 */
export class RowDocuments {
  readonly #schema: Schema
  readonly #storage: StorageAdapterInterface
  readonly #live: LiveDocument

  /**
   * @param options.schema - the database schema, for projections
   * @param options.storage - the storage the relay's repo saves documents in
   * @param options.live - the repo's live copy of a document, when loaded
   */
  constructor(options: { schema: Schema; storage: StorageAdapterInterface; live: LiveDocument }) {
    this.#schema = options.schema
    this.#storage = options.storage
    this.#live = options.live
  }

  /**
   * Calls `use` with the document, live or loaded from storage; a loaded copy is freed when
   * `use` returns, so `use` must not keep it.
   * @param documentId - the row document
   * @param use - what to do with the document, synchronously
   * @returns what `use` returned, or undefined when the relay does not hold the document
   * @throws Error when stored chunks do not load as an Automerge document
   */
  async read<T>(
    documentId: string,
    use: (doc: Automerge.Doc<RowDocument>) => T,
  ): Promise<T | undefined> {
    const live = this.#live(documentId)
    if (live) return use(live)
    const chunks = await this.chunks(documentId)
    if (chunks.length === 0) {
      // The repo may have loaded the document while storage was read.
      const loaded = this.#live(documentId)
      return loaded ? use(loaded) : undefined
    }
    let doc = emptyDocument<RowDocument>()
    try {
      for (const chunk of chunks) doc = Automerge.loadIncremental(doc, chunk)
      return use(doc)
    } finally {
      Automerge.free(doc)
    }
  }

  /**
   * Projects the row document, or returns undefined when the relay does not hold it; never
   * throws on a document that is not a valid row (the result says why).
   * @param documentId - the row document
   */
  async project(documentId: string): Promise<ProjectionResult | undefined> {
    try {
      return await this.read(documentId, (doc) => projectRow(this.#schema, documentId, doc))
    } catch (error) {
      return { ok: false, reason: error instanceof Error ? error.message : String(error) }
    }
  }

  /** Whether the relay holds the document (live or stored). */
  async holds(documentId: string): Promise<boolean> {
    return this.#live(documentId) !== undefined || (await this.chunks(documentId)).length > 0
  }

  /**
   * The row document's bytes to send to a device, with the projection that matches them. The
   * feed's projection (`expected`) is used when the stored document is at its heads; the
   * stored chunks can lag the feed by the repo's save delay (see {@link chunks}), so otherwise
   * the live document is saved, or the stored one loaded and projected. Costs one storage read
   * when the row is stored as one snapshot at the expected heads (the common case after a
   * compaction or an upload), else one document load.
   * @param documentId - the row document
   * @param expected - the row's projection as the feed recorded it
   * @returns undefined when the relay holds no such document or it is not a valid row
   * @throws Error when stored chunks do not load as an Automerge document
   */
  async export(documentId: string, expected: RowProjection): Promise<ExportedRow | undefined> {
    const snapshots = await this.#storage.loadRange([documentId, 'snapshot'])
    const incrementals = await this.#storage.loadRange([documentId, 'incremental'])
    const [only] = snapshots
    if (
      snapshots.length === 1 &&
      incrementals.length === 0 &&
      only?.data !== undefined &&
      only.key[2] === snapshotHash(expected.heads)
    ) {
      return { document: only.data, projection: expected }
    }
    const live = this.#live(documentId)
    if (live) return this.#exported(documentId, live, Automerge.save(live), expected)
    const chunks = [...snapshots, ...incrementals].flatMap((chunk) =>
      chunk.data ? [chunk.data] : [],
    )
    if (chunks.length === 0) return undefined
    const document = Buffer.concat(chunks)
    const doc = Automerge.load<RowDocument>(document)
    try {
      return this.#exported(documentId, doc, document, expected)
    } finally {
      Automerge.free(doc)
    }
  }

  #exported(
    documentId: string,
    doc: Automerge.Doc<RowDocument>,
    document: Uint8Array,
    expected: RowProjection,
  ): ExportedRow | undefined {
    if (sameHeads(Automerge.getHeads(doc), expected.heads))
      return { document, projection: expected }
    const result = projectRow(this.#schema, documentId, doc)
    return result.ok ? { document, projection: result.projection } : undefined
  }

  /**
   * The document's stored chunks, snapshots first: concatenated, `Automerge.load` takes them.
   * The feed records a document's live state after a save, so the stored state can lag the
   * feed's heads for the moment until the repo's next save (at most its save delay, 100 ms).
   * @param documentId - the row document
   */
  async chunks(documentId: string): Promise<Uint8Array[]> {
    const snapshots = await this.#storage.loadRange([documentId, 'snapshot'])
    const incrementals = await this.#storage.loadRange([documentId, 'incremental'])
    return [...snapshots, ...incrementals].flatMap((chunk) => (chunk.data ? [chunk.data] : []))
  }
}

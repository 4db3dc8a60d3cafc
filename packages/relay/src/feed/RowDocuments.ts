import * as Automerge from '@automerge/automerge'
import type { StorageAdapterInterface } from '@automerge/automerge-repo/slim'
import { projectRow, type ProjectionResult, type RowDocument, type Schema } from '@rowsync/schema'

/** The relay's live copy of a document, when its repo has one loaded and ready. */
export type LiveDocument = (documentId: string) => Automerge.Doc<RowDocument> | undefined

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
    let doc = Automerge.init<RowDocument>()
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

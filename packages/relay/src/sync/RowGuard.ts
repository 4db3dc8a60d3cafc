import * as Automerge from '@automerge/automerge'
import type { StorageAdapterInterface } from '@automerge/automerge-repo/slim'
import {
  canRead,
  canWrite,
  projectRow,
  type PermissionRules,
  type RowDocument,
  type RowProjection,
  type Schema,
  type UserIdentity,
  sameHeads,
} from '@rowsync/schema'
import { emptyDocument, readerCopy } from './emptyDocument.ts'

/**
 * The outcome of {@link RowGuard.checkChanges}; `created` holds the checked document when the
 * changes create a row the relay did not hold, with `projection`, the row it makes; `waiting`
 * says the changes depend on changes the relay lacks, so they were not checked yet.
 */
export type ChangeCheck =
  | { ok: true; created?: undefined; waiting?: true }
  | { ok: true; created: Uint8Array; projection: RowProjection; waiting?: undefined }
  | { ok: false; reason: string }

/** Reads the current state of a row document the relay holds, or `undefined`. */
export type CurrentDocument = (documentId: string) => Automerge.Doc<RowDocument> | undefined

/**
 * Decides, per user and row document, what a peer may read and write: knowing a document id
 * grants nothing. Reads check the row's table and values against the permission rules;
 * changes are applied to a copy of the row and refused when the result is not a valid row of
 * the schema, or when the user may not write the row as it was or as it would become.
 */
export class RowGuard {
  readonly #schema: Schema
  readonly #rules: PermissionRules
  readonly #storage: StorageAdapterInterface
  readonly #current: CurrentDocument
  /** Projections of stored rows by document id, least recently used first. */
  readonly #projections = new Map<string, RowProjection>()
  readonly #capacity: number

  /**
   * @param options.current - the relay's live copy of a document, when it has one loaded
   * @param options.capacity - the most projections kept for read checks (default 10,000)
   */
  constructor(options: {
    schema: Schema
    rules: PermissionRules
    storage: StorageAdapterInterface
    current: CurrentDocument
    capacity?: number
  }) {
    this.#schema = options.schema
    this.#rules = options.rules
    this.#storage = options.storage
    this.#current = options.current
    this.#capacity = options.capacity ?? 10_000
  }

  /**
   * Whether the user may read the row document: only rows the relay holds, in a table and
   * scope the user's roles grant.
   * @param user - the authenticated user
   * @param documentId - the document a peer asks for
   */
  async mayRead(user: UserIdentity, documentId: string): Promise<boolean> {
    const projection = await this.#projection(documentId)
    return (
      projection !== undefined && canRead(this.#rules, user, projection.table, projection.values)
    )
  }

  /**
   * Whether the user may create rows in some table, so a request for a document the relay
   * does not hold yet may go on (its changes are then checked by {@link checkChanges}).
   */
  mayCreate(user: UserIdentity): boolean {
    return user.roles.some((role) =>
      Object.values(this.#rules.roles[role]?.tables ?? {}).some(
        (grant) => grant.access === 'write',
      ),
    )
  }

  /** Whether the relay holds a document with this id. */
  async holds(documentId: string): Promise<boolean> {
    return (await this.#projection(documentId)) !== undefined
  }

  /**
   * Checks changes a peer sends for a row document: they must load, leave a valid row of the
   * schema, and the user must be allowed to write the row before and after them.
   * @param user - the authenticated user
   * @param documentId - the row document
   * @param changes - Automerge changes from a sync message
   */
  async checkChanges(
    user: UserIdentity,
    documentId: string,
    changes: readonly Uint8Array[],
  ): Promise<ChangeCheck> {
    const live = this.#current(documentId)
    const stored = live ? undefined : await this.#load(documentId)
    try {
      return this.#check(user, documentId, live ?? stored, changes)
    } finally {
      if (stored) Automerge.free(stored)
    }
  }

  #check(
    user: UserIdentity,
    documentId: string,
    base: Automerge.Doc<RowDocument> | undefined,
    changes: readonly Uint8Array[],
  ): ChangeCheck {
    let after: Automerge.Doc<RowDocument>
    try {
      // A sync message carries change chunks, or a whole document chunk for a peer that has
      // nothing yet; loadIncremental takes both.
      after = base ? readerCopy(base) : emptyDocument<RowDocument>()
      for (const change of changes) after = Automerge.loadIncremental(after, change)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      return { ok: false, reason: `changes do not load: ${message}` }
    }
    try {
      // Changes the relay holds already change nothing, whoever sends them (a reader's device
      // resending a row it only downloaded).
      if (base && sameHeads(Automerge.getHeads(base), Automerge.getHeads(after))) {
        return { ok: true }
      }
      const before = base ? projectRow(this.#schema, documentId, base) : undefined
      if (
        before?.ok &&
        !canWrite(this.#rules, user, before.projection.table, before.projection.values)
      ) {
        const { table, id } = before.projection
        return { ok: false, reason: `user ${user.id} may not change ${table}/${id}` }
      }
      if (Automerge.getMissingDeps(after, []).length > 0) {
        // Changes whose dependencies the relay lacks wait in Automerge's queue; they are
        // checked when the sync protocol delivers what they depend on.
        return { ok: true, waiting: true }
      }
      const result = projectRow(this.#schema, documentId, after)
      if (!result.ok) return { ok: false, reason: `invalid row: ${result.reason}` }
      const { table, id, values } = result.projection
      if (!canWrite(this.#rules, user, table, values)) {
        return {
          ok: false,
          reason: `user ${user.id} may not write ${table}/${id} with these values`,
        }
      }
      this.#remember(documentId, result.projection)
      return base
        ? { ok: true }
        : { ok: true, created: Automerge.save(after), projection: result.projection }
    } finally {
      Automerge.free(after)
    }
  }

  /** Forgets what is known of a document after it changed. */
  forget(documentId: string): void {
    this.#projections.delete(documentId)
  }

  async #projection(documentId: string): Promise<RowProjection | undefined> {
    const known = this.#projections.get(documentId)
    if (known) {
      this.#remember(documentId, known)
      return known
    }
    const live = this.#current(documentId)
    const doc = live ?? (await this.#load(documentId))
    if (!doc) return undefined
    try {
      const result = projectRow(this.#schema, documentId, doc)
      if (!result.ok) return undefined
      this.#remember(documentId, result.projection)
      return result.projection
    } finally {
      if (!live) Automerge.free(doc)
    }
  }

  async #load(documentId: string): Promise<Automerge.Doc<RowDocument> | undefined> {
    const chunks = await this.#storage.loadRange([documentId])
    const data = chunks.flatMap((chunk) =>
      chunk.data && (chunk.key[1] === 'snapshot' || chunk.key[1] === 'incremental')
        ? [chunk.data]
        : [],
    )
    if (data.length === 0) return undefined
    let doc = emptyDocument<RowDocument>()
    for (const bytes of data) doc = Automerge.loadIncremental(doc, bytes)
    return doc
  }

  #remember(documentId: string, projection: RowProjection): void {
    this.#projections.delete(documentId)
    this.#projections.set(documentId, projection)
    for (const oldest of this.#projections.keys()) {
      if (this.#projections.size <= this.#capacity) break
      this.#projections.delete(oldest)
    }
  }
}

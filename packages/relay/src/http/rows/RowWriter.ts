import { randomBytes } from 'node:crypto'
import * as Automerge from '@automerge/automerge'
import type { DocHandle, DocumentId, Repo } from '@automerge/automerge-repo/slim'
import {
  canWrite,
  changeOptions,
  projectRow,
  rowDocumentId,
  rowSkeleton,
  validateRow,
  writeValues,
  type ChangeKind,
  type PermissionRules,
  type RowDocument,
  type RowDocumentId,
  type RowId,
  type RowValues,
  type Schema,
  type TableSchema,
  type UserIdentity,
  type ValidationIssue,
} from '@rowsync/schema'
import { rowBody, type RowBody } from './rowBody.ts'
import type { RowReader } from './RowReader.ts'

/** The device name in the metadata of changes written over HTTP. */
export const httpDevice = 'relay-http'

/** The outcome of a write: the row as written, or why it was refused. */
export type RowWrite =
  | { ok: true; status: 200 | 201; body: RowBody }
  | {
      ok: false
      status: 400 | 403 | 404 | 409
      error: string
      issues?: readonly ValidationIssue[]
    }

/**
 * Writes rows for the HTTP API through the relay's repo, so peers that have a row open receive
 * the change like any other: creates start from `rowSkeleton` (the same first change every
 * device writes) and are imported; updates and deletes are `handle.change` calls. Every change
 * carries `changeOptions` metadata (user, device `relay-http`, time, kind). The user must be
 * allowed to write the row as it was and as it becomes, as with sync.
 */
export class RowWriter {
  readonly #schema: Schema
  readonly #rules: PermissionRules
  readonly #repo: Repo
  readonly #documents: RowReader
  readonly #now: () => number
  readonly #accepted: (handle: DocHandle<RowDocument>, before: readonly string[]) => void

  /**
   * @param options.now - the clock for change metadata, in ms since the epoch (default Date.now)
   * @param options.accepted - hears of every change written, with the row's heads before it
   *   (the relay's live push); default none
   */
  constructor(options: {
    schema: Schema
    rules: PermissionRules
    repo: Repo
    documents: RowReader
    now?: () => number
    accepted?: ((handle: DocHandle<RowDocument>, before: readonly string[]) => void) | undefined
  }) {
    this.#schema = options.schema
    this.#rules = options.rules
    this.#repo = options.repo
    this.#documents = options.documents
    this.#now = options.now ?? Date.now
    this.#accepted = options.accepted ?? (() => undefined)
  }

  /**
   * Creates the row (201) or writes the given fields of an existing one (200; fields left out
   * keep their values; a deleted row comes back). Resolves once the change is stored.
   * @param user - the authenticated user
   * @param table - the row's table
   * @param id - the row id
   * @param input - untrusted field values; checked with `validateRow` (`insert` for a new
   *   row, `update` for an existing one), every issue is returned
   */
  async put(user: UserIdentity, table: TableSchema, id: RowId, input: unknown): Promise<RowWrite> {
    const documentId = rowDocumentId(this.#schema.database, table.name, id)
    const handle = await this.#existing(documentId)
    if (handle === undefined) return this.#create(user, table, id, documentId, input)
    const check = validateRow(table, input, 'update')
    return this.#change(user, handle, 'update', (before) => {
      if (!check.ok)
        return { ok: false, status: 400, error: 'invalid values', issues: check.issues }
      const values = check.values
      return {
        after: { ...before, ...values },
        write: (doc: RowDocument) => {
          if (doc._deleted !== false) doc._deleted = false
          writeValues(doc, table, values)
        },
      }
    })
  }

  /**
   * Deletes the row (a tombstone: `_deleted = true`); deleting a deleted row writes nothing.
   * @param user - the authenticated user
   * @param table - the row's table
   * @param id - the row id
   */
  async delete(user: UserIdentity, table: TableSchema, id: RowId): Promise<RowWrite> {
    const documentId = rowDocumentId(this.#schema.database, table.name, id)
    const handle = await this.#existing(documentId)
    if (handle === undefined) return { ok: false, status: 404, error: 'no such row' }
    return this.#change(user, handle, 'delete', (before) => ({
      after: before,
      write: (doc: RowDocument) => {
        if (doc._deleted !== true) doc._deleted = true
      },
    }))
  }

  async #create(
    user: UserIdentity,
    table: TableSchema,
    id: RowId,
    documentId: RowDocumentId,
    input: unknown,
  ): Promise<RowWrite> {
    const check = validateRow(table, input, 'insert')
    if (!check.ok) return { ok: false, status: 400, error: 'invalid values', issues: check.issues }
    if (!canWrite(this.#rules, user, table.name, check.values)) {
      return { ok: false, status: 403, error: `user ${user.id} may not write this row` }
    }
    const actor = randomBytes(16).toString('hex')
    const skeleton = rowSkeleton(table, id, documentId, actor)
    const created = Automerge.change(skeleton, this.#options(user, 'insert'), (doc) => {
      doc._deleted = false
      writeValues(doc, table, check.values)
    })
    const bytes = Automerge.save(created)
    Automerge.free(created)
    // A handle may exist already (a peer asked for this id before the row existed); importing
    // into it makes it ready. A row created meanwhile by a peer merges: both histories start
    // with the same skeleton change.
    const handle = this.#repo.import<RowDocument>(bytes, {
      docId: documentId as string as DocumentId,
    })
    handle.doneLoading()
    this.#accepted(handle, [])
    return this.#stored(handle, 201)
  }

  /**
   * Checks and applies a change to an existing row, synchronously between reading the row and
   * changing it, so no sync message can change the row in between.
   */
  async #change(
    user: UserIdentity,
    handle: DocHandle<RowDocument>,
    kind: ChangeKind,
    plan: (
      before: RowValues,
    ) => { after: RowValues; write: (doc: RowDocument) => void } | Extract<RowWrite, { ok: false }>,
  ): Promise<RowWrite> {
    const before = projectRow(this.#schema, handle.documentId, handle.doc())
    if (!before.ok) return { ok: false, status: 409, error: 'the stored row is not valid' }
    const { table, id, values } = before.projection
    if (!canWrite(this.#rules, user, table, values)) {
      return { ok: false, status: 403, error: `user ${user.id} may not change ${table}/${id}` }
    }
    const planned = plan(values)
    if ('ok' in planned) return planned
    if (!canWrite(this.#rules, user, table, planned.after)) {
      return {
        ok: false,
        status: 403,
        error: `user ${user.id} may not write ${table}/${id} with these values`,
      }
    }
    const heads = Automerge.getHeads(handle.doc())
    handle.change(planned.write, this.#options(user, kind))
    this.#accepted(handle, heads)
    return this.#stored(handle, 200)
  }

  async #stored(handle: DocHandle<RowDocument>, status: 200 | 201): Promise<RowWrite> {
    // Saved (and so recorded in the feed) before the client hears of it.
    await this.#repo.flush([handle.documentId])
    const doc = handle.doc()
    const result = projectRow(this.#schema, handle.documentId, doc)
    if (!result.ok) {
      throw new Error(
        `RowWriter: row document ${handle.documentId} is not valid after a write: ${result.reason}`,
      )
    }
    return { ok: true, status, body: rowBody(result.projection, doc) }
  }

  /** The ready handle of a row the relay holds, or undefined when it holds none. */
  async #existing(documentId: string): Promise<DocHandle<RowDocument> | undefined> {
    const live = this.#repo.handles[documentId as DocumentId]
    if (live?.isReady()) return live as DocHandle<RowDocument>
    if (!(await this.#documents.holds(documentId))) return undefined
    return this.#repo.find<RowDocument>(documentId as DocumentId)
  }

  #options(user: UserIdentity, kind: ChangeKind): { message: string; time: number } {
    return changeOptions({ user: user.id, device: httpDevice, time: this.#now(), kind })
  }
}

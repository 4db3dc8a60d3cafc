import * as Automerge from '@automerge/automerge'
import {
  isValidDocumentId,
  type DocHandle,
  type DocumentId,
  type Repo,
  type StorageAdapterInterface,
} from '@automerge/automerge-repo/slim'
import type {
  DocumentRecord,
  RowDocument,
  RowProjection,
  UploadResult,
  UserIdentity,
} from '@rowsync/schema'
import type { Logger } from 'pino'
import { snapshotHash } from '../feed/snapshotHash.ts'
import type { UploadOrigin } from './ChangePusher.ts'
import type { RowGuard } from './RowGuard.ts'

/** Called after the relay applied changes to a row; see ChangePusher.accepted. */
export type AcceptedChanges = (handle: DocHandle<unknown>, before: readonly string[]) => void

/** Options of {@link RowUploader}. */
export interface RowUploaderOptions {
  /** The relay's repo, which the changes are applied to. */
  readonly repo: Repo
  /** Checks every record's changes: validation and write permission before and after. */
  readonly guard: RowGuard
  /** Whether the relay holds a row document (live or stored). */
  readonly holds: (documentId: string) => Promise<boolean>
  /** Hears of every applied change (the live push). */
  readonly accepted: AcceptedChanges
  /**
   * The storage the repo saves in, beneath the feed's notifying adapter: a new row nobody has
   * asked for is saved there directly, as automerge-repo saves a snapshot, without making a
   * handle, and then recorded in the feed with {@link RowUploaderOptions.record}.
   */
  readonly storage: StorageAdapterInterface
  /** Records a new row saved directly in the feed, with the projection the check derived. */
  readonly record: (documentId: string, projection: RowProjection) => Promise<void>
  /** Hears of every new row saved directly (the live push). */
  readonly stored: (
    documentId: DocumentId,
    document: Uint8Array,
    projection: RowProjection,
    origin?: UploadOrigin,
  ) => void
  readonly logger: Logger
}

/** What applying one record gave: its handle, the heads of a row saved directly, or a reason. */
type Outcome = DocHandle<RowDocument> | { readonly heads: string[] } | string

/** Why a record was refused, in words for a person; never the relay's internals. */
const reasons = {
  invalidId: 'not a row document id',
  waiting:
    'the changes depend on changes the relay does not have; upload them together (saveSince ' +
    'the heads the relay acknowledged)',
  internal: 'internal error',
} as const

/**
 * Applies uploaded row changes (the records of a `POST /v1/upload` document stream) to the
 * relay's repo, each on its own: the changes are checked with `RowGuard.checkChanges` (they
 * must load, leave a valid row of the schema, and the user must be allowed to write the row as
 * it was and as it becomes), then a new row is imported and an existing row's ready handle is
 * updated with `loadIncremental`. Refused changes are never applied, so never stored or
 * forwarded; a bad record never affects another. Resolves once every applied change is stored
 * (the repo flushed, so the feed recorded it).
 */
export class RowUploader {
  readonly #repo: Repo
  readonly #guard: RowGuard
  readonly #holds: (documentId: string) => Promise<boolean>
  readonly #accepted: AcceptedChanges
  readonly #storage: StorageAdapterInterface
  readonly #record: (documentId: string, projection: RowProjection) => Promise<void>
  readonly #stored: (
    documentId: DocumentId,
    document: Uint8Array,
    projection: RowProjection,
    origin?: UploadOrigin,
  ) => void
  readonly #log: Logger

  /** @param options - see {@link RowUploaderOptions} */
  constructor(options: RowUploaderOptions) {
    this.#repo = options.repo
    this.#guard = options.guard
    this.#holds = options.holds
    this.#accepted = options.accepted
    this.#storage = options.storage
    this.#record = options.record
    this.#stored = options.stored
    this.#log = options.logger.child({ component: 'RowUploader' })
  }

  /**
   * Checks and applies the records in order, then flushes the rows they changed.
   * @param user - the authenticated user
   * @param records - the upload's records (their `seq` and `projection` are ignored)
   * @param originPeer - the uploader's live connection, which is not sent its own new rows
   * @returns one result per record, in order: the row's heads after, or why it was refused
   * @throws Error when storage fails while flushing (then nothing is acknowledged)
   */
  async upload(
    user: UserIdentity,
    records: readonly DocumentRecord[],
    originPeer?: string,
  ): Promise<UploadResult[]> {
    const origin = originPeer === undefined ? undefined : { peerId: originPeer, user: user.id }
    const applied: Outcome[] = []
    // New rows are saved after every record was checked: a storage read waits for the writes
    // in flight to commit (fdatasync), so saving as we go would make each check wait for one.
    // Saved together, the feed also records them in few appends.
    const saves = new Map<DocumentId, () => Promise<void>>()
    const started: Array<Promise<void>> = []
    const startSaves = () => {
      for (const save of saves.values()) started.push(save())
      saves.clear()
    }
    for (const record of records) {
      // A second record for a row this upload created: the row must be stored to be checked.
      if (saves.has(record.documentId as DocumentId)) {
        startSaves()
        await Promise.all(started)
      }
      try {
        applied.push(await this.#apply(user, record, saves, origin))
      } catch (error) {
        this.#log.error({ err: error, documentId: record.documentId }, 'upload record failed')
        applied.push(reasons.internal)
      }
    }
    const handles = new Map<DocumentId, DocHandle<RowDocument>>()
    for (const outcome of applied) {
      if (typeof outcome === 'object' && 'documentId' in outcome) {
        handles.set(outcome.documentId, outcome)
      }
    }
    // Acknowledged means stored: saves also record the rows in the feed before they resolve.
    startSaves()
    await Promise.all([...started, this.#repo.flush([...handles.keys()])])
    return applied.map((outcome, index) => {
      const documentId = records[index]?.documentId ?? ''
      if (outcome === reasons.waiting) {
        return { documentId, ok: false, reason: outcome, missingDependencies: true }
      }
      if (typeof outcome === 'string') return { documentId, ok: false, reason: outcome }
      const heads = 'documentId' in outcome ? Automerge.getHeads(outcome.doc()) : outcome.heads
      return { documentId, ok: true, heads }
    })
  }

  /** Applies one record; returns its handle, or the reason it was refused. */
  async #apply(
    user: UserIdentity,
    record: DocumentRecord,
    saves: Map<DocumentId, () => Promise<void>>,
    origin: UploadOrigin | undefined,
    retry = true,
  ): Promise<Outcome> {
    const { documentId, document } = record
    if (!isValidDocumentId(documentId)) return reasons.invalidId
    const id = documentId
    // The ready handle first, so that no await separates the check from the change.
    const handle = await this.#existing(id)
    const check = await this.#guard.checkChanges(user, documentId, [document])
    if (!check.ok) return check.reason
    if (check.waiting) return reasons.waiting
    if (check.created && this.#repo.handles[id] === undefined) {
      // No handle: thousands of new rows in one upload cost no repo handles (each is a state
      // machine and a synchronizer), only a storage write; a peer's find loads the row.
      const { created, projection } = check
      const heads = [...projection.heads]
      saves.set(id, async () => {
        await this.#storage.save([id, 'snapshot', snapshotHash(heads)], created)
        await this.#record(id, projection)
        // Pushed once stored: a device must not build on a row the relay could still lose.
        this.#stored(id, created, projection, origin)
      })
      this.#guard.forget(documentId)
      return { heads }
    }
    if (check.created) {
      const created = this.#repo.import<RowDocument>(check.created, { docId: id })
      created.doneLoading()
      this.#guard.forget(documentId)
      this.#accepted(created, [])
      return created
    }
    if (handle === undefined) {
      // The row appeared while its handle was looked up (created by a peer meanwhile).
      return retry ? this.#apply(user, record, saves, origin, false) : reasons.internal
    }
    const before = Automerge.getHeads(handle.doc())
    handle.update((doc) => Automerge.loadIncremental(doc, document))
    this.#guard.forget(documentId)
    this.#accepted(handle, before)
    return handle
  }

  /** The ready handle of a row the relay holds, or undefined when it holds none. */
  async #existing(documentId: DocumentId): Promise<DocHandle<RowDocument> | undefined> {
    const live = this.#repo.handles[documentId]
    if (live?.isReady()) return live as DocHandle<RowDocument>
    if (!(await this.#holds(documentId))) return undefined
    return this.#repo.find<RowDocument>(documentId)
  }
}

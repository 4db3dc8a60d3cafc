import {
  changeOptions,
  type ChangeKind,
  describeConflicts,
  type Conflict,
  projectRow,
  toStoredValue,
  writeValues,
  type RowDocument,
  rowSkeleton,
  rowHistory,
  type HistoryEvent,
  type RowProjection,
} from '@rowsync/schema'
import * as Automerge from '@automerge/automerge'
import type { StorageAdapterInterface } from '@automerge/automerge-repo/slim'
import {
  isRowId,
  rowDocumentId,
  toRowId,
  type DocumentRecord,
  validateRow,
  ValidationError,
  type FieldValue,
  type RowId,
  type RowOf,
  type Schema,
  type SchemaDefinition,
  type TableName,
  type TableSchema,
} from '@rowsync/schema'
import { silentLogger, type Logger } from './Logger.ts'
import { RowExistsError } from './RowExistsError.ts'
import { RowNotFoundError } from './RowNotFoundError.ts'
import { RowStore, type OutboxEntry } from './store/RowStore.ts'
import { Table, type Row, type TableHost } from './Table.ts'

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions<D extends SchemaDefinition> {
  readonly schema: Schema<D>
  /** Where rows live: IndexedDB in browsers, LMDB files in Node, memory in tests. */
  readonly storage: StorageAdapterInterface
  /** The user this device acts for; recorded in every change. */
  readonly user: string
  /** The clock for change times. Default `Date.now`. */
  readonly now?: () => number
  /** The most row documents kept loaded at once. Default 500. */
  readonly maxLoadedDocuments?: number
  /** Where problems found in storage are reported. Default: nowhere. */
  readonly logger?: Logger
}

/** The outcome of {@link Database.importDocument}. */
export type ImportResult = { ok: true; changed: boolean } | { ok: false; reason: string }

/** How a delete conflict is resolved: keep the row deleted, or bring it back with its edits. */
export type DeleteResolution = 'delete' | 'restore'

const deviceKey = ['meta', 'device']

/** Bytes from another replica that Automerge cannot load. */
class UnloadableBytes extends Error {
  constructor(cause: unknown) {
    super(
      `bytes do not load as Automerge data: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    )
  }
}

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (byte) =>
    byte.toString(16).padStart(2, '0'),
  ).join('')
}

/**
 * Opens a Rowsync database on this device. Every read and write is local; nothing waits for
 * a network.
 * @param options - see {@link OpenDatabaseOptions}
 * @throws the storage error when storage cannot be read
 */
export async function openDatabase<const D extends SchemaDefinition>(
  options: OpenDatabaseOptions<D>,
): Promise<Database<D>> {
  const { storage } = options
  const stored = await storage.load(deviceKey)
  const device = stored ? new TextDecoder().decode(stored) : crypto.randomUUID()
  if (!stored) await storage.save(deviceKey, new TextEncoder().encode(device))
  const database = new Database(options, device)
  await database.open()
  return database
}

/**
 * An open Rowsync database: typed tables, conflicts, history, and the document-level surface
 * that replication uses. Get one from {@link openDatabase}.
 */
export class Database<D extends SchemaDefinition = SchemaDefinition> implements TableHost {
  readonly schema: Schema<D>
  /** The user this device acts for. */
  readonly user: string
  /** This device's id, generated on first open and kept in storage. */
  readonly device: string
  readonly #options: OpenDatabaseOptions<D>
  readonly #now: () => number
  readonly #logger: Logger
  /**
   * Local changes use a fresh actor per open database, so a device never reuses an actor's
   * sequence numbers even if its storage is restored from a backup; `device` names the device.
   * One open database per storage at a time: a second one would not see the first's writes.
   */
  readonly #actor = randomHex(16)
  readonly #rows = new Map<string, Map<string, RowProjection>>()
  readonly #rowObjects = new WeakMap<RowProjection, Row>()
  readonly #tables = new Map<string, Table>()
  readonly #listeners = new Map<string, Set<() => void>>()
  readonly #observers = new Set<(projections: readonly RowProjection[]) => void>()
  #store: RowStore | undefined
  #closed = false

  /** @internal Use {@link openDatabase}. */
  constructor(options: OpenDatabaseOptions<D>, device: string) {
    this.#options = options
    this.schema = options.schema
    this.user = options.user
    this.device = device
    this.#now = options.now ?? Date.now
    this.#logger = options.logger ?? silentLogger
    for (const table of options.schema.tables.values()) {
      this.#rows.set(table.name, new Map())
      this.#tables.set(table.name, new Table(this, table))
    }
  }

  /** @internal Loads the store; called once by {@link openDatabase}. */
  async open(): Promise<void> {
    this.#store = await RowStore.open({
      storage: this.#options.storage,
      actor: this.#actor,
      project: (documentId, doc) => projectRow(this.schema, documentId, doc),
      onCommit: (projections) => this.#committed(projections),
      onRemove: (projections) => this.#removed(projections),
      maxLoadedDocuments: this.#options.maxLoadedDocuments ?? 500,
      logger: this.#logger,
    })
    for (const projection of this.#store.projections.values()) this.#index(projection)
  }

  /**
   * A table by name.
   * @throws {Error} when the schema has no such table
   */
  table<N extends TableName<D>>(name: N): Table<RowOf<D['tables'][N]>> {
    const table = this.#tables.get(name)
    if (!table)
      throw new Error(`table(${JSON.stringify(name)}): no such table in ${this.schema.database}`)
    return table as unknown as Table<RowOf<D['tables'][N]>>
  }

  /** Every conflict waiting for a person, optionally in one table, sorted by table, row, field. */
  async conflicts(table?: TableName<D>): Promise<Conflict[]> {
    const store = this.#openStore()
    const conflicts: Conflict[] = []
    const flagged = [...store.projections.values()].filter(
      (projection) =>
        (table === undefined || projection.table === table) &&
        (projection.deleteConflict || (projection.flagged.length > 0 && !projection.deleted)),
    )
    for (const { documentId } of flagged) {
      // Read the projection under the row's lock: a write queued before may have changed it.
      const found = await store.view(documentId, (doc) => {
        const current = store.projections.get(documentId)
        return current ? describeConflicts(current, doc) : []
      })
      conflicts.push(...(found ?? []))
    }
    const order = (conflict: Conflict): string =>
      `${conflict.table}\u0000${conflict.id}\u0000${conflict.kind === 'field' ? conflict.field : ''}`
    return conflicts.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0))
  }

  /**
   * Resolves a flagged field by writing the chosen value (one of the concurrent values or a new
   * one) as a new change; the flag clears on every device once that change has replicated.
   * @throws {ValidationError} when the value does not fit the field
   * @throws {RowNotFoundError} when there is no such row
   */
  async resolve(
    tableName: TableName<D>,
    id: string,
    field: string,
    value: FieldValue,
  ): Promise<Row> {
    const table = this.#tableSchema(tableName)
    const check = validateRow(table, { [field]: value }, 'update')
    if (!check.ok) throw new ValidationError(`resolve ${table.name}/${id}`, check.issues)
    const fieldSchema = table.fields.get(field)
    return this.#write(table, id, 'resolve', (doc) => {
      if (!fieldSchema) return
      // Assigning the value Automerge shows would only delete the other values; delete first
      // so the resolution is a write of its own, which a concurrent resolution to another
      // value conflicts with (and is flagged again) instead of silently winning.
      delete (doc as Partial<RowDocument>)[field]
      doc[field] = toStoredValue(fieldSchema, check.values[field] ?? null)
    })
  }

  /**
   * Resolves a delete conflict: `delete` keeps the row deleted, `restore` brings it back.
   * @throws {RowNotFoundError} when there is no such row
   */
  async resolveDelete(
    tableName: TableName<D>,
    id: string,
    resolution: DeleteResolution,
  ): Promise<void> {
    const table = this.#tableSchema(tableName)
    await this.#write(
      table,
      id,
      'resolve',
      (doc) => {
        if (resolution === 'restore') {
          doc._deleted = false
          return
        }
        // Automerge skips a write of the value already there; delete first so the new
        // tombstone is a change that has seen every edit.
        delete (doc as Partial<RowDocument>)._deleted
        doc._deleted = true
      },
      { allowDeleted: true },
    )
  }

  /**
   * The row's changes in causal order: who, when, which fields, old and new values.
   * @returns an empty list when the row is not on this device
   */
  async history(tableName: TableName<D>, id: string): Promise<HistoryEvent[]> {
    const table = this.#tableSchema(tableName)
    const documentId = rowDocumentId(this.schema.database, table.name, toRowId(id))
    return (await this.#openStore().view(documentId, rowHistory)) ?? []
  }

  /** The ids of every row document on this device, deleted rows included. */
  documentIds(): string[] {
    return [...this.#openStore().projections.keys()]
  }

  /** The heads of a row document on this device, or `undefined`. */
  heads(documentId: string): readonly string[] | undefined {
    return this.#openStore().projections.get(documentId)?.heads
  }

  /** Whether a row document on this device holds every change named by `heads`. */
  async hasHeads(documentId: string, heads: readonly string[]): Promise<boolean> {
    return (
      (await this.#openStore().view(documentId, (doc) => Automerge.hasHeads(doc, [...heads]))) ??
      false
    )
  }

  /** The whole row document as Automerge bytes, or `undefined` when it is not here. */
  exportDocument(documentId: string): Promise<Uint8Array | undefined> {
    return this.#openStore().view(documentId, (doc) => Automerge.save(doc))
  }

  /**
   * Merges Automerge bytes from another replica (a saved document or changes) into a row
   * document. Untrusted input: bytes that do not load, or that would make the document an
   * invalid row, are refused and nothing is stored.
   * @param documentId - the row document the bytes belong to
   * @param bytes - Automerge document or change bytes
   * @throws the storage error when the merged document could not be stored
   */
  async importDocument(documentId: string, bytes: Uint8Array): Promise<ImportResult> {
    try {
      const result = await this.#openStore().mutate(documentId, (doc) => {
        try {
          if (!doc) {
            return Automerge.loadIncremental(
              Automerge.init<RowDocument>({ actor: this.#actor }),
              bytes,
            )
          }
          const before = Automerge.getHeads(doc).join()
          const merged = Automerge.loadIncremental(doc, bytes)
          // Merging into a document skips bytes it cannot parse; when nothing changed, make
          // sure the bytes were Automerge data and not garbage, so the sender hears of it.
          if (Automerge.getHeads(merged).join() === before) {
            Automerge.free(Automerge.loadIncremental(Automerge.init(), bytes))
          }
          return merged
        } catch (cause) {
          throw new UnloadableBytes(cause)
        }
      })
      return result.ok ? { ok: true, changed: result.changed } : result
    } catch (error) {
      if (error instanceof UnloadableBytes) return { ok: false, reason: error.message }
      throw error
    }
  }

  /**
   * Stores a row document from the relay. With a projection (a download) and no copy of the
   * document here, the document is stored as it is and the projection is trusted after
   * checking that it names this document and holds valid values: no document is loaded. Else
   * the bytes merge like {@link importDocument}.
   * @param record - a record of a relay's document stream
   * @throws the storage error when the document could not be stored
   */
  async adoptDocument(record: DocumentRecord): Promise<ImportResult> {
    const { documentId, projection, document } = record
    if (!projection) return this.importDocument(documentId, document)
    const problem = this.#checkProjection(documentId, projection)
    if (problem) return { ok: false, reason: `the projection of ${documentId} ${problem}` }
    const adopted = await this.#openStore().adopt({
      documentId,
      projection: { ...projection, documentId },
      document,
    })
    return adopted === 'exists'
      ? this.importDocument(documentId, document)
      : { ok: true, changed: true }
  }

  /** @internal Row documents with local changes the relay has not acknowledged. */
  get outbox(): ReadonlyMap<string, OutboxEntry> {
    return this.#openStore().outbox
  }

  /** @internal The changes of a document after `base` (everything when undefined), for upload. */
  changesSince(
    documentId: string,
    base: readonly string[] | undefined,
  ): Promise<{ data: Uint8Array; heads: string[]; generation: number } | undefined> {
    return this.#openStore().changesSince(documentId, base)
  }

  /** @internal Puts a document back in the outbox, to be sent whole. */
  requeue(documentId: string): Promise<void> {
    return this.#openStore().requeue(documentId)
  }

  /** @internal The relay acknowledged a document's changes up to an outbox generation. */
  acknowledge(documentId: string, generation: number): Promise<void> {
    return this.#openStore().acknowledge(documentId, generation)
  }

  /**
   * Removes a row document from this device, with any local changes it holds (the row left
   * the user's scope, or its refused changes are discarded).
   */
  removeDocument(documentId: string): Promise<void> {
    return this.#openStore().remove(documentId)
  }

  /** The table and id of a row document on this device. */
  rowOfDocument(documentId: string): { table: string; id: string } | undefined {
    const projection = this.#openStore().projections.get(documentId)
    return projection && { table: projection.table, id: projection.id }
  }

  /**
   * @internal Calls `listener` with the projections of every durable batch of changes, local
   * or merged, and of removed rows.
   * @returns a function that unsubscribes
   */
  observe(listener: (projections: readonly RowProjection[]) => void): () => void {
    this.#observers.add(listener)
    return () => this.#observers.delete(listener)
  }

  /** @internal Where this database keeps its data; the sync engine keeps its state there. */
  get storage(): StorageAdapterInterface {
    return this.#options.storage
  }

  /** Waits for pending writes and closes the database; later calls throw. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#store?.close()
  }

  /** @internal */
  rowsOf(table: string): ReadonlyMap<string, RowProjection> {
    this.#openStore()
    return this.#rows.get(table) ?? new Map()
  }

  /** @internal */
  rowOf(projection: RowProjection): Row {
    let row = this.#rowObjects.get(projection)
    if (!row) {
      row = Object.freeze({ id: projection.id, ...projection.values })
      this.#rowObjects.set(projection, row)
    }
    return row
  }

  /** @internal */
  subscribe(table: string, listener: () => void): () => void {
    let listeners = this.#listeners.get(table)
    if (!listeners) this.#listeners.set(table, (listeners = new Set()))
    const entry = (): void => listener()
    listeners.add(entry)
    return () => listeners.delete(entry)
  }

  /** @internal */
  async insert(table: TableSchema, values: unknown, givenId: RowId | undefined): Promise<Row> {
    const id = givenId === undefined ? (crypto.randomUUID() as RowId) : toRowId(givenId)
    const check = validateRow(table, values, 'insert')
    if (!check.ok) throw new ValidationError(`insert into ${table.name}`, check.issues)
    const full: Record<string, FieldValue> = {}
    for (const field of table.fields.keys()) full[field] = check.values[field] ?? null
    return this.#write(
      table,
      id,
      'insert',
      (doc, exists) => {
        if (exists) throw new RowExistsError(table.name, id)
        if (doc._deleted !== false) doc._deleted = false
        for (const field of table.fields.values()) {
          // Counters live in the row's skeleton; an insert moves them to their initial value
          // by an increment, so counts from devices that created the row concurrently add up.
          const initial = full[field.name]
          const counter = doc[field.name]
          if (typeof initial === 'number' && Automerge.isCounter(counter)) {
            if (initial !== counter.value) counter.increment(initial - counter.value)
          }
        }
        writeValues(
          doc,
          table,
          Object.fromEntries(
            Object.entries(full).filter(([name]) => table.fields.get(name)?.type !== 'counter'),
          ),
        )
      },
      { allowMissing: true, allowDeleted: true },
    )
  }

  /** @internal */
  async update(table: TableSchema, id: string, values: unknown): Promise<Row> {
    const check = validateRow(table, values, 'update')
    if (!check.ok) throw new ValidationError(`update of ${table.name}/${id}`, check.issues)
    return this.#write(table, id, 'update', (doc) => {
      writeValues(doc, table, check.values)
    })
  }

  /** @internal */
  async increment(table: TableSchema, id: string, field: string, by: number): Promise<Row> {
    const operation = `increment of ${table.name}/${id}`
    if (table.fields.get(field)?.type !== 'counter') {
      throw new ValidationError(operation, [{ field, expected: 'a counter field', got: field }])
    }
    if (!Number.isSafeInteger(by)) {
      throw new ValidationError(operation, [{ field, expected: 'a whole number', got: String(by) }])
    }
    return this.#write(table, id, 'increment', (doc) => {
      const counter = doc[field]
      if (Automerge.isCounter(counter)) counter.increment(by)
      else doc[field] = new Automerge.Counter(by)
    })
  }

  /** @internal */
  async delete(table: TableSchema, id: string): Promise<void> {
    await this.#write(table, id, 'delete', (doc) => {
      doc._deleted = true
    })
  }

  async #write(
    table: TableSchema,
    id: string,
    kind: ChangeKind,
    edit: (doc: RowDocument, exists: boolean) => void,
    { allowMissing = false, allowDeleted = false } = {},
  ): Promise<Row> {
    const rowId = toRowId(id)
    const documentId = rowDocumentId(this.schema.database, table.name, rowId)
    const metadata = { user: this.user, device: this.device, time: this.#now(), kind }
    const result = await this.#openStore().mutate(
      documentId,
      (current) => {
        const exists = current !== undefined && current._deleted !== true
        if (!current && !allowMissing) throw new RowNotFoundError(kind, table.name, rowId)
        if (current?._deleted === true && !allowDeleted)
          throw new RowNotFoundError(kind, table.name, rowId)
        return Automerge.change(
          current ?? rowSkeleton(table, rowId, documentId, this.#actor),
          changeOptions(metadata),
          (doc) => edit(doc, exists),
        )
      },
      { local: true },
    )
    if (!result.ok)
      throw new Error(`${kind} of ${table.name}/${rowId} produced an invalid row: ${result.reason}`)
    return this.rowOf(result.projection)
  }

  /** Why a projection from the relay cannot be stored for this document, or undefined. */
  #checkProjection(documentId: string, projection: RowProjection): string | undefined {
    const table = this.schema.tables.get(projection.table)
    if (!table) return `names table ${JSON.stringify(projection.table)}, not in the schema`
    if (!isRowId(projection.id)) return `has an invalid row id`
    if (rowDocumentId(this.schema.database, table.name, projection.id) !== documentId) {
      return `names another row (${table.name}/${projection.id})`
    }
    const check = validateRow(table, projection.values, 'stored')
    if (!check.ok)
      return `holds invalid values: ${new ValidationError('row', check.issues).message}`
    if (projection.heads.length === 0) return 'has no heads'
    return undefined
  }

  #committed(projections: readonly RowProjection[]): void {
    for (const projection of projections) this.#index(projection)
    this.#notify(projections)
  }

  #removed(projections: readonly RowProjection[]): void {
    for (const projection of projections) this.#rows.get(projection.table)?.delete(projection.id)
    this.#notify(projections)
  }

  #notify(projections: readonly RowProjection[]): void {
    for (const observer of this.#observers) {
      try {
        observer(projections)
      } catch (error) {
        this.#logger.warn({ error }, 'A commit observer threw')
      }
    }
    const tables = new Set(projections.map((projection) => projection.table))
    for (const table of tables) {
      for (const listener of this.#listeners.get(table) ?? []) {
        try {
          listener()
        } catch (error) {
          // The commit is durable; an app's listener failing must not make it look otherwise.
          this.#logger.warn({ table, error }, 'A subscription listener threw')
        }
      }
    }
  }

  #index(projection: RowProjection): void {
    this.#rows.get(projection.table)?.set(projection.id, projection)
  }

  #tableSchema(name: string): TableSchema {
    return this.table(name).schema
  }

  #openStore(): RowStore {
    if (this.#closed || !this.#store) throw new Error(`Database ${this.schema.database} is closed`)
    return this.#store
  }
}

import {
  evaluateWithRules,
  ManualLifecycleSource,
  type LifecycleRule,
  type LifecycleSource,
  type SyncPermission,
} from '@rowsync/policies'
import {
  documentStream,
  relayLimits,
  type DocumentRecord,
  type DocumentStreamHeader,
  type FeedRowEntry,
  type RelayChangesMessage,
  sameHeads,
} from '@rowsync/schema'
import type { Database } from '../Database.ts'
import { silentLogger, type Logger } from '../Logger.ts'
import { RelayHttp, type StreamReceiver, type TokenSource } from './RelayHttp.ts'
import { RelaySocket } from './RelaySocket.ts'
import { SerialTask } from './SerialTask.ts'
import type { SyncError, SyncProgress, SyncStatus } from './SyncStatus.ts'

/** Options of {@link startSync}. */
export interface SyncOptions {
  /** The relay's base URL, e.g. `https://relay.example.com`. */
  readonly relay: string
  /** The token to present; called on every connect and again when the relay refuses one. */
  readonly token: TokenSource
  /**
   * Where lifecycle states come from (`BrowserLifecycleSource` in browsers, a bridge on
   * mobile). Default: always in the foreground and online.
   */
  readonly lifecycle?: LifecycleSource
  /**
   * The app's own stricter rules on top of the platform's (e.g. "only on Wi-Fi"), combined so
   * the strictest answer wins; asked at every lifecycle change and before every sync starts.
   */
  readonly rules?: readonly LifecycleRule[]
  /**
   * Minutes between scheduled syncs while allowed. Default: the shortest interval the relay's
   * profile sets for the user's tables (a scheduled sync brings every table up to date, and
   * costs only what changed), 5 until the relay has said.
   */
  readonly scheduleMinutes?: number
  /** Reconnect delays: doubled per failed attempt from `initialMs` up to `maxMs`, with jitter. */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number }
  /** The clock of sync times. Default `Date.now`. */
  readonly now?: () => number
  readonly logger?: Logger
}

/** Entries per feed page a device reads. */
const feedPageSize = 1000

const cursorKey = ['sync', 'cursor']
const refusedPrefix = 'sync-refused'
const encoder = new TextEncoder()
const decoder = new TextDecoder()

interface Cursor {
  readonly relay: string
  readonly seq: number
}

/** Thrown inside a sync when it was stopped (by `stop` or the lifecycle). */
class SyncStopped extends Error {}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let start = 0; start < items.length; start += size)
    out.push(items.slice(start, start + size))
  return out
}

/**
 * Starts syncing a database with a relay. Nothing waits for the network: the database works
 * the same with no relay reachable, and the sync catches up by itself when it is.
 * @param database - an open database
 * @param options - see {@link SyncOptions}
 */
export function startSync(database: Database, options: SyncOptions): Sync {
  const sync = new Sync(database, options)
  sync.start()
  return sync
}

/**
 * Keeps a device's database in sync with a relay, as far as the lifecycle allows:
 * - first, the whole profile as one streamed snapshot (rows stored without loading their
 *   documents, with progress per table); a restart skips rows already stored;
 * - then the feed from the stored cursor: only rows whose heads differ are fetched, and rows
 *   that left the user's scope leave the device (unless they hold unsent changes);
 * - local changes are uploaded from the outbox at once while live, and at every sync;
 * - while live, a WebSocket brings every change the relay accepts for the user's rows;
 * - a scheduled sync every few minutes, and reconnects with capped exponential backoff and
 *   jitter.
 * Changes the relay refuses stay on the device as {@link SyncError}s until retried or
 * discarded.
 */
export class Sync {
  readonly #database: Database
  readonly #options: SyncOptions
  readonly #http: RelayHttp
  readonly #lifecycle: LifecycleSource
  readonly #ownsLifecycle: boolean
  readonly #logger: Logger
  readonly #now: () => number
  readonly #listeners = new Set<(status: SyncStatus) => void>()
  readonly #refused = new Map<string, SyncError>()
  readonly #unsubscribe: Array<() => void> = []
  #status: SyncStatus = { state: 'not-connected', pendingUpload: 0, errors: [] }
  #permission: SyncPermission
  #socket: RelaySocket | undefined
  /** Sync cycles (connect, download or catch up, upload), one at a time. */
  readonly #cycles = new SerialTask(
    () => this.#cycle(),
    () => this.#stopped,
  )
  /** Uploads of the outbox, one at a time (live changes upload outside cycles too). */
  readonly #uploads = new SerialTask(
    () => this.#uploadOutbox(),
    () => this.#stopped,
  )
  #retryTimer: ReturnType<typeof setTimeout> | undefined
  #scheduleTimer: ReturnType<typeof setInterval> | undefined
  #scheduleMinutes: number | undefined
  #failures = 0
  #abort = new AbortController()
  /** Syncs waiting at {@link #gate} for the lifecycle to let them go on. */
  #paused: Array<() => void> = []
  #stopped = false

  /** @internal Use {@link startSync}. */
  constructor(database: Database, options: SyncOptions) {
    this.#database = database
    this.#options = options
    this.#http = new RelayHttp(options.relay, options.token)
    this.#ownsLifecycle = options.lifecycle === undefined
    this.#lifecycle =
      options.lifecycle ??
      new ManualLifecycleSource({
        platform: 'node',
        app: 'foreground',
        screenLocked: false,
        online: true,
      })
    this.#logger = options.logger ?? silentLogger
    this.#now = options.now ?? Date.now
    this.#permission = evaluateWithRules(this.#lifecycle.current(), options.rules ?? [])
  }

  /** The status now. */
  get status(): SyncStatus {
    return this.#status
  }

  /**
   * Calls `listener` with every new status.
   * @returns a function that unsubscribes
   */
  subscribe(listener: (status: SyncStatus) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** @internal Called once by {@link startSync}. */
  start(): void {
    void this.#loadRefused().then(
      () => {
        if (this.#stopped) return
        this.#update({})
        this.#unsubscribe.push(
          this.#lifecycle.subscribe(() => this.#lifecycleChanged()),
          this.#database.observe(() => this.#localChanged()),
        )
        this.#schedule(this.#options.scheduleMinutes ?? 5)
        this.#lifecycleChanged()
      },
      (error: unknown) => this.#failed(error),
    )
  }

  /**
   * Runs a sync now (as a person pressing "sync" would), when the lifecycle allows one to
   * start; resolves when it is done. Failures show in the status and are retried by themselves.
   */
  syncNow(): Promise<void> {
    return this.#sync('start')
  }

  /** Sends a row's refused changes again. */
  async retry(documentId: string): Promise<void> {
    await this.#forgetRefusal(documentId)
    await this.#sync('start')
  }

  /**
   * Drops a row's local changes that the relay refused: the row returns to the relay's state
   * (or leaves the device, when the relay never had it).
   */
  /**
   * Drops a row's local changes that the relay refused: the row returns to the relay's state,
   * or leaves the device when the relay never had it. Needs the relay: the relay's copy is
   * fetched before anything is removed.
   * @throws RelayError when the relay cannot be reached; the row is then left as it was
   */
  async discard(documentId: string): Promise<void> {
    const records: DocumentRecord[] = []
    await this.#http.documents(
      [documentId],
      {
        header: () => undefined,
        records: (batch) => {
          records.push(...batch)
          return Promise.resolve()
        },
      },
      this.#abort.signal,
    )
    await this.#database.removeDocument(documentId)
    await this.#forgetRefusal(documentId)
    for (const record of records) await this.#database.adoptDocument(record)
  }

  /** Stops syncing: closes the connection, cancels requests and timers. The database stays open. */
  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    this.#abort.abort()
    this.#release()
    clearTimeout(this.#retryTimer)
    clearInterval(this.#scheduleTimer)
    for (const unsubscribe of this.#unsubscribe) unsubscribe()
    if (this.#ownsLifecycle) this.#lifecycle.close()
    this.#socket?.close()
    this.#socket = undefined
    await Promise.allSettled([this.#cycles.running, this.#uploads.running])
    this.#update({ state: 'not-connected' })
  }

  #lifecycleChanged(): void {
    if (this.#stopped) return
    if (this.#reevaluate().startSync) void this.#sync('start')
  }

  /** Asks the policy again and acts on its answer for the connection and a running sync. */
  #reevaluate(): SyncPermission {
    const permission = evaluateWithRules(this.#lifecycle.current(), this.#options.rules ?? [])
    this.#permission = permission
    if (!permission.live && this.#socket) {
      this.#socket.close()
      this.#socket = undefined
      if (this.#status.state === 'connected') this.#update({ state: 'not-connected' })
    }
    if (permission.ongoingSync === 'stop') {
      this.#abort.abort()
      this.#abort = new AbortController()
      this.#release()
    }
    if (permission.ongoingSync === 'continue') this.#release()
    this.#update({})
    return permission
  }

  #localChanged(): void {
    this.#update({})
    if (this.#socket && this.#permission.live) void this.#upload().catch((e) => this.#failed(e))
  }

  /** Runs sync cycles one at a time; a request during one runs another after it. */
  #sync(kind: 'start' | 'scheduled'): Promise<void> {
    if (this.#stopped) return Promise.resolve()
    this.#reevaluate()
    const allowed =
      kind === 'scheduled' ? this.#permission.scheduledSync : this.#permission.startSync
    if (!allowed) return Promise.resolve()
    clearTimeout(this.#retryTimer)
    return this.#cycles.run()
  }

  async #cycle(): Promise<void> {
    try {
      this.#update({ state: 'syncing' })
      if (this.#permission.live && !this.#socket) await this.#connect()
      if (this.#options.scheduleMinutes === undefined) {
        const { syncIntervalMinutes } = await this.#http.profile(this.#abort.signal)
        const minutes = Math.min(...Object.values(syncIntervalMinutes))
        if (Number.isFinite(minutes) && minutes > 0) this.#schedule(minutes)
      }
      const cursor = await this.#loadCursor()
      const seq = cursor ?? (await this.#download())
      await this.#catchUp(seq)
      await this.#upload()
      this.#failures = 0
      this.#update({
        state: this.#socket ? 'connected' : 'not-connected',
        lastSyncedAt: this.#now(),
        progress: undefined,
        lastError: undefined,
      })
    } catch (error) {
      if (error instanceof SyncStopped || this.#stopped) {
        this.#update({ state: this.#socket ? 'connected' : 'not-connected', progress: undefined })
        return
      }
      this.#failed(error)
    }
  }

  #failed(error: unknown): void {
    if (this.#stopped) return
    this.#logger.warn({ error }, 'Sync failed; retrying')
    this.#update({ state: 'error', lastError: messageOf(error), progress: undefined })
    this.#socket?.close()
    this.#socket = undefined
    this.#scheduleRetry()
  }

  /** Runs a scheduled sync every `minutes` from now on (unchanged when already so). */
  #schedule(minutes: number): void {
    if (this.#scheduleMinutes === minutes || this.#stopped) return
    this.#scheduleMinutes = minutes
    clearInterval(this.#scheduleTimer)
    this.#scheduleTimer = setInterval(() => void this.#sync('scheduled'), minutes * 60_000)
  }

  #scheduleRetry(): void {
    clearTimeout(this.#retryTimer)
    const initial = this.#options.backoff?.initialMs ?? 1000
    const max = this.#options.backoff?.maxMs ?? 60_000
    const ceiling = Math.min(max, initial * 2 ** this.#failures)
    this.#failures += 1
    // Full jitter over the upper half, so devices that lost the relay together spread out.
    const delay = ceiling / 2 + (Math.random() * ceiling) / 2
    this.#retryTimer = setTimeout(() => void this.#sync('start'), delay)
  }

  async #connect(): Promise<void> {
    const peerId = `${this.#database.device}-${crypto.randomUUID().slice(0, 8)}`
    let socket: RelaySocket | undefined
    const connect = async (): Promise<RelaySocket> =>
      RelaySocket.connect({
        base: this.#options.relay,
        token: await this.#http.token(),
        peerId,
        handlers: {
          changes: (message) => void this.#pushed(message),
          error: (message, documentId) =>
            this.#logger.warn({ documentId, message }, 'The relay reported an error'),
          closed: (reason) => {
            if (this.#socket !== socket) return
            this.#socket = undefined
            if (this.#stopped) return
            this.#update({ state: 'not-connected', lastError: `connection ${reason}` })
            this.#scheduleRetry()
          },
        },
      })
    try {
      socket = await connect()
    } catch {
      // The token may have expired: one more try with a fresh one.
      this.#http.refreshToken()
      socket = await connect()
    }
    // Stopped, or no longer allowed live, while connecting: the connection must not stay.
    if (this.#stopped || !this.#permission.live) {
      socket.close()
      throw new SyncStopped()
    }
    this.#socket = socket
  }

  /** Applies changes the relay pushed; fetches the row when they do not apply on their own. */
  async #pushed(message: RelayChangesMessage): Promise<void> {
    const { documentId, heads, data } = message
    if (this.#stopped || sameHeads(this.#database.heads(documentId), heads)) return
    try {
      const result = await this.#database.importDocument(documentId, data)
      if (!result.ok || !(await this.#database.hasHeads(documentId, heads))) {
        await this.#http.documents([documentId], this.#receiver(), this.#abort.signal)
      }
    } catch (error) {
      this.#failed(error)
    }
  }

  /** Downloads the snapshot; returns the feed position it was taken at. */
  async #download(): Promise<number> {
    let header: DocumentStreamHeader | undefined
    await this.#http.snapshot(
      this.#receiver('download', (received) => (header = received)),
      this.#abort.signal,
    )
    if (!header) throw new Error('the snapshot had no header')
    await this.#saveCursor(header.seq)
    return header.seq
  }

  /** Reads the feed from `seq`, fetching the rows whose heads differ from this device's. */
  async #catchUp(seq: number): Promise<void> {
    let since = seq
    for (;;) {
      await this.#gate()
      const page = await this.#http.feed(since, feedPageSize, this.#abort.signal)
      if (since > page.last) {
        // The relay's feed was reset: start over from a snapshot.
        await this.#catchUp(await this.#download())
        return
      }
      const changed: FeedRowEntry[] = []
      for (const entry of page.entries) {
        if ('left' in entry) await this.#left(entry.documentId)
        else if (!sameHeads(this.#database.heads(entry.documentId), entry.heads)) {
          changed.push(entry)
        }
      }
      const ids = changed.map((entry) => entry.documentId)
      const receiver = this.#receiver('catch-up')
      const tables: Record<string, number> = {}
      for (const { table } of changed) tables[table] = (tables[table] ?? 0) + 1
      await receiver.header({ seq: page.last, count: ids.length, bytes: 0, tables })
      for (const batch of chunk(ids, relayLimits.documentsPerRequest)) {
        await this.#gate()
        await this.#http.documents(batch, receiver, this.#abort.signal)
      }
      since = page.next ?? page.last
      await this.#saveCursor(since)
      if (page.next === null) return
    }
  }

  /** A row left the user's scope: it leaves the device, unless it holds unsent changes. */
  async #left(documentId: string): Promise<void> {
    const row = this.#database.rowOfDocument(documentId)
    if (!row) return
    if (!this.#database.outbox.has(documentId)) {
      await this.#database.removeDocument(documentId)
      return
    }
    await this.#refuse(
      documentId,
      'the row is no longer shared with you; its local changes were not sent',
    )
  }

  /** Uploads the outbox; one upload at a time, and another after it when asked meanwhile. */
  #upload(): Promise<void> {
    return this.#uploads.run()
  }

  async #uploadOutbox(): Promise<void> {
    const pending = [...this.#database.outbox].filter(([id]) => !this.#refused.has(id))
    if (pending.length === 0) return
    const limit = relayLimits.uploadBytesPerRequest
    const unconfirmed: string[] = []
    const whole: string[] = []
    let next = 0
    while (next < pending.length) {
      await this.#gate()
      const records: DocumentRecord[] = []
      const sent = new Map<string, { heads: string[]; generation: number }>()
      let bytes = documentStream.encode([]).byteLength
      while (next < pending.length && records.length < relayLimits.uploadRecordsPerRequest) {
        const [documentId, entry] = pending[next]!
        const changes = await this.#database.changesSince(documentId, entry.base)
        const record = changes && { documentId, seq: 0, document: changes.data }
        const size = record ? documentStream.record(record).byteLength : 0
        if (record && changes && bytes + size > limit && records.length > 0) break
        next += 1
        if (!record || !changes) {
          // The row is gone from this device (removed meanwhile): nothing left to send.
          await this.#database.acknowledge(documentId, entry.generation)
        } else if (bytes + size > limit) {
          await this.#refuse(documentId, `its changes are ${size} bytes; the relay takes ${limit}`)
        } else {
          bytes += size
          records.push(record)
          sent.set(documentId, changes)
        }
      }
      if (records.length === 0) continue
      const response = await this.#http.upload(records, this.#abort.signal, this.#socket?.peerId)
      const acknowledged: Array<Promise<void>> = []
      for (const result of response.results) {
        const upload = sent.get(result.documentId)
        if (!upload) continue
        if (!result.ok) {
          if (result.missingDependencies) whole.push(result.documentId)
          else await this.#refuse(result.documentId, result.reason)
          continue
        }
        // Together, so storage commits them in few transactions.
        acknowledged.push(this.#database.acknowledge(result.documentId, upload.generation))
        if (!sameHeads(upload.heads, result.heads)) unconfirmed.push(result.documentId)
      }
      await Promise.all(acknowledged)
      this.#update(
        records.length < pending.length
          ? { progress: this.#simpleProgress('upload', next, pending.length) }
          : {},
      )
    }
    await this.#sendWhole([...whole, ...(await this.#lacking(unconfirmed))])
  }

  /**
   * Of rows whose heads at the relay differ from what was sent, the ones the relay lacks
   * changes of: the relay's copy is merged here first; if this device then holds changes the
   * relay does not (it could not apply them), the row must be sent whole.
   */
  async #lacking(documentIds: readonly string[]): Promise<string[]> {
    if (documentIds.length === 0) return []
    const relayHeads = new Map<string, readonly string[]>()
    const receiver = this.#receiver()
    for (const batch of chunk(documentIds, relayLimits.documentsPerRequest)) {
      await this.#http.documents(
        batch,
        {
          header: () => undefined,
          records: async (records, bytes) => {
            for (const record of records) {
              if (record.projection) relayHeads.set(record.documentId, record.projection.heads)
            }
            await receiver.records(records, bytes)
          },
        },
        this.#abort.signal,
      )
    }
    return documentIds.filter(
      (id) => !sameHeads(this.#database.heads(id), relayHeads.get(id) ?? []),
    )
  }

  /** Sends rows whole, for a relay that lacks what their changes build on. */
  async #sendWhole(documentIds: readonly string[]): Promise<void> {
    for (const batch of chunk(documentIds, relayLimits.uploadRecordsPerRequest)) {
      const records: DocumentRecord[] = []
      const generations = new Map<string, number>()
      for (const documentId of batch) {
        const all = await this.#database.changesSince(documentId, undefined)
        if (!all) continue
        records.push({ documentId, seq: 0, document: all.data })
        generations.set(documentId, all.generation)
      }
      const response = await this.#http.upload(records, this.#abort.signal)
      for (const result of response.results) {
        if (result.ok) {
          await this.#database.acknowledge(
            result.documentId,
            generations.get(result.documentId) ?? 0,
          )
        } else {
          await this.#refuse(result.documentId, result.reason)
        }
      }
    }
  }

  /**
   * A receiver of document streams that stores each record (skipping rows already stored in
   * the same state) and reports progress for the given phase.
   */
  #receiver(
    phase?: SyncProgress['phase'],
    onHeader?: (header: DocumentStreamHeader) => void,
  ): StreamReceiver {
    let progress: SyncProgress | undefined
    return {
      header: (header) => {
        onHeader?.(header)
        if (!phase) return
        progress = {
          phase,
          rows: 0,
          totalRows: header.count,
          bytes: 0,
          totalBytes: header.bytes,
          tables: Object.fromEntries(
            Object.entries(header.tables).map(([table, totalRows]) => [
              table,
              { rows: 0, totalRows },
            ]),
          ),
        }
        this.#update({ progress })
      },
      records: async (records, bytes) => {
        await this.#gate()
        // Copies: the progress already reported must not change under its listeners.
        const tables: Record<string, { rows: number; totalRows: number }> = Object.fromEntries(
          Object.entries(progress?.tables ?? {}).map(([table, counts]) => [table, { ...counts }]),
        )
        await Promise.all(
          records.map(async (record) => {
            const table = record.projection?.table ?? '?'
            const counts = (tables[table] ??= { rows: 0, totalRows: 0 })
            counts.rows += 1
            if (
              sameHeads(this.#database.heads(record.documentId), record.projection?.heads ?? [])
            ) {
              return
            }
            const result = await this.#database.adoptDocument(record)
            if (!result.ok) {
              this.#logger.warn(
                { documentId: record.documentId, reason: result.reason },
                'A row from the relay was not stored',
              )
            }
          }),
        )
        if (progress) {
          progress = {
            ...progress,
            rows: progress.rows + records.length,
            bytes: progress.bytes + bytes,
            totalRows: Math.max(progress.totalRows, progress.rows + records.length),
            tables,
          }
          this.#update({ progress })
        }
      },
    }
  }

  #simpleProgress(phase: SyncProgress['phase'], rows: number, totalRows: number): SyncProgress {
    return { phase, rows, totalRows, bytes: 0, totalBytes: 0, tables: {} }
  }

  /** Waits while the lifecycle pauses the ongoing sync; throws when sync was stopped. */
  async #gate(): Promise<void> {
    while (!this.#stopped && this.#permission.ongoingSync === 'pause') {
      this.#update({})
      await new Promise<void>((resolve) => this.#paused.push(resolve))
    }
    if (this.#stopped || this.#permission.ongoingSync === 'stop') throw new SyncStopped()
  }

  #release(): void {
    for (const resume of this.#paused.splice(0)) resume()
  }

  async #loadCursor(): Promise<number | undefined> {
    const stored = await this.#database.storage.load(cursorKey)
    if (!stored) return undefined
    try {
      const cursor = JSON.parse(decoder.decode(stored)) as Cursor
      // A cursor of another relay means nothing here: download this relay's snapshot.
      return cursor.relay === this.#options.relay && Number.isSafeInteger(cursor.seq)
        ? cursor.seq
        : undefined
    } catch {
      return undefined
    }
  }

  async #saveCursor(seq: number): Promise<void> {
    const cursor: Cursor = { relay: this.#options.relay, seq }
    await this.#database.storage.save(cursorKey, encoder.encode(JSON.stringify(cursor)))
  }

  async #loadRefused(): Promise<void> {
    for (const { data } of await this.#database.storage.loadRange([refusedPrefix])) {
      try {
        const error = JSON.parse(decoder.decode(data)) as SyncError
        if (this.#database.outbox.has(error.documentId)) this.#refused.set(error.documentId, error)
      } catch {
        // An unreadable record only loses the refusal's reason; the upload is tried again.
      }
    }
  }

  /**
   * Records that a row's local changes were not taken, with the reason, until retried; the
   * row stays in (or returns to) the outbox, so nothing is lost across restarts.
   */
  async #refuse(documentId: string, reason: string): Promise<void> {
    await this.#database.requeue(documentId)
    const row = this.#database.rowOfDocument(documentId)
    const error: SyncError = {
      documentId,
      table: row?.table ?? '',
      id: row?.id ?? '',
      reason,
      at: this.#now(),
    }
    this.#refused.set(documentId, error)
    await this.#database.storage.save(
      [refusedPrefix, error.documentId],
      encoder.encode(JSON.stringify(error)),
    )
    this.#update({})
  }

  async #forgetRefusal(documentId: string): Promise<void> {
    this.#refused.delete(documentId)
    await this.#database.storage.remove([refusedPrefix, documentId])
    this.#update({})
  }

  #update(changes: Partial<SyncStatus>): void {
    const permission = this.#permission
    const held = !permission.startSync || permission.ongoingSync !== 'continue'
    this.#status = {
      ...this.#status,
      ...changes,
      pendingUpload: [...this.#database.outbox.keys()].filter((id) => !this.#refused.has(id))
        .length,
      errors: [...this.#refused.values()],
      heldBack: held ? permission.reason : undefined,
    }
    for (const listener of this.#listeners) {
      try {
        listener(this.#status)
      } catch (error) {
        this.#logger.warn({ error }, 'A sync status listener threw')
      }
    }
  }
}

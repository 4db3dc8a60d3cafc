import type { DocHandle, DocumentId, Repo, RepoEvents } from '@automerge/automerge-repo/slim'
import type { Logger } from 'pino'

type DocMessage = Parameters<Repo['synchronizer']['receiveMessage']>[0]
type DocMetrics = Parameters<RepoEvents['doc-metrics']>[0]
type Receive = Repo['synchronizer']['receiveMessage']

/** Options of {@link DocumentEvictor}. */
export interface DocumentEvictorOptions {
  /**
   * The most document handles the Repo keeps; idle ones beyond it leave
   * (`limits.loadedDocuments`). 0 lets every idle handle go.
   */
  readonly maxLoadedDocuments: number
  /**
   * A handle is idle once nothing has used it for this long, in milliseconds of `now`; only
   * idle handles leave, so a burst of active documents may exceed the bound for this long.
   * Default 5,000.
   */
  readonly idleMs?: number
  /**
   * A handle whose document changed, or started a save, less than this long ago in real
   * milliseconds stays, whatever `now` says. automerge-repo saves 100 ms after a change (later
   * while a save is running) from a timer that outlives the handle: run after the document was
   * loaded and saved again, that stale save would compact storage back to the older state.
   * Default 1,000.
   */
  readonly saveSettleMs?: number
  /** How often {@link DocumentEvictor.sweep} runs by itself, in ms; 0 never. Default 1,000. */
  readonly sweepIntervalMs?: number
  /** The clock of `idleMs`, in milliseconds; default `performance.now`. */
  readonly now?: () => number
  readonly logger: Logger
}

/** What one {@link DocumentEvictor.sweep} did. */
export interface SweepResult {
  /** Handles the Repo held before the sweep. */
  readonly before: number
  /** Handles removed from the Repo. */
  readonly evicted: number
  /** Handles the Repo holds after the sweep. */
  readonly after: number
}

/**
 * Keeps the document handles of the relay's automerge-repo `Repo` at most
 * `maxLoadedDocuments`: the least recently used idle ones leave memory, after their changes are
 * flushed to storage; a peer that asks for one later gets it loaded from storage again. A
 * handle is used when a message for it reaches the Repo and while the Repo handles it, when its
 * document changes, when it syncs, loads or saves (the Repo's `doc-metrics` events), and when
 * {@link DocumentEvictor.touch} says so.
 *
 * Ready handles leave with `repo.removeFromCache`, which also drops the document's
 * synchronizer (its per-peer sync states: a peer that syncs the document again starts a fresh
 * handshake, or loads its stored sync state). Used alone, `removeFromCache` overwrites the
 * stored document with an empty one 100 ms later (automerge-repo 2.5.6, issue #435); the
 * evictor detaches the handle's listeners first. Handles of ids nobody holds (`unavailable`)
 * leave the same way: `removeFromCache` throws for a handle that is not ready, so the evictor
 * first marks it ready, still empty (`repo.delete` would remove the id's chunks from storage,
 * which a row created under that id meanwhile, or another relay sharing the storage, may
 * hold). Handles still loading or requesting stay until they settle (at most 60 s).
 *
 * Not released, because automerge-repo keeps them in private fields: one entry per document
 * id ever requested in the synchronizer (`#hasRequested`, about 300 B), the storage
 * subsystem's heads and chunk list per document loaded or saved, and about 1 KB of promise
 * reactions per `find` that made a handle (each attaches to a module-wide promise that never
 * settles). Bound the ids peers may ask for with UnknownDocumentLimiter.
 */
export class DocumentEvictor {
  readonly #repo: Repo
  readonly #maxLoadedDocuments: number
  readonly #idleMs: number
  readonly #saveSettleMs: number
  readonly #now: () => number
  readonly #log: Logger
  /** Last use of every handle seen, least recently used first. */
  readonly #lastUse = new Map<DocumentId, number>()
  /** Real time of the last change or save start of every handle seen. */
  readonly #changedAt = new Map<DocumentId, number>()
  /** Messages the Repo is handling, per document. */
  readonly #inFlight = new Map<DocumentId, number>()
  readonly #watched = new WeakSet<DocHandle<unknown>>()
  /** Documents being loaded for a message, so that the messages after it wait their turn. */
  readonly #loading = new Map<DocumentId, Promise<void>>()
  /** True while the evictor's own flush runs its synchronous part (see #sweep). */
  #flushing = false
  readonly #onMetrics = (event: DocMetrics) => {
    const saved = event.type === 'doc-saved' || event.type === 'doc-compacted'
    if (saved && this.#flushing) return
    if (saved) this.#changedAt.set(event.documentId, performance.now())
    this.touch(event.documentId)
  }
  readonly #onHeadsChanged = ({ handle }: { handle: DocHandle<unknown> }) => {
    this.#changedAt.set(handle.documentId, performance.now())
    this.touch(handle.documentId)
  }
  readonly #receive: Receive
  /** The synchronizer's own `receiveMessage` property before ours, if it had one. */
  readonly #ownReceive: PropertyDescriptor | undefined
  readonly #pinningReceive: Receive
  readonly #timer: ReturnType<typeof setInterval> | undefined
  #sweeping: Promise<SweepResult> | undefined
  #stopped = false

  /**
   * Starts tracking the Repo's handles, and sweeping every `sweepIntervalMs`.
   * @param repo - the relay's Repo, with storage (an evicted document must load again)
   * @param options - see {@link DocumentEvictorOptions}
   * @throws Error if the Repo has no storage, or a bound is negative
   */
  constructor(repo: Repo, options: DocumentEvictorOptions) {
    if (repo.storageSubsystem === undefined) {
      throw new Error('DocumentEvictor: the Repo has no storage; evicted documents would be lost')
    }
    const idleMs = options.idleMs ?? 5_000
    const saveSettleMs = options.saveSettleMs ?? 1_000
    const sweepIntervalMs = options.sweepIntervalMs ?? 1_000
    for (const [name, value] of Object.entries({
      maxLoadedDocuments: options.maxLoadedDocuments,
      idleMs,
      saveSettleMs,
      sweepIntervalMs,
    })) {
      if (!(value >= 0)) throw new Error(`DocumentEvictor: ${name} must not be negative: ${value}`)
    }
    this.#repo = repo
    this.#maxLoadedDocuments = options.maxLoadedDocuments
    this.#idleMs = idleMs
    this.#saveSettleMs = saveSettleMs
    this.#now = options.now ?? (() => performance.now())
    this.#log = options.logger.child({ component: 'DocumentEvictor' })
    repo.on('doc-metrics', this.#onMetrics)

    // For each message the Repo awaits its share policy, then finds the handle, then gets (or
    // makes) the document's synchronizer. An eviction finishing between the find and that last
    // step leaves a synchronizer bound to the unloaded handle cached under the id, and every
    // later message for the document waits on it forever. So a document whose message the
    // Repo is handling never leaves: the one way to see that is to wrap receiveMessage.
    const synchronizer = repo.synchronizer
    this.#ownReceive = Object.getOwnPropertyDescriptor(synchronizer, 'receiveMessage')
    this.#receive = synchronizer.receiveMessage.bind(synchronizer)
    this.#pinningReceive = async (message: DocMessage) => {
      const documentId = message.documentId
      this.#pin(documentId)
      try {
        const loading = this.#loading.get(documentId) ?? this.#load(documentId)
        if (loading) await loading
        await this.#receive(message)
      } finally {
        this.#unpin(documentId)
      }
    }
    synchronizer.receiveMessage = this.#pinningReceive

    if (sweepIntervalMs > 0) {
      this.#timer = setInterval(() => {
        this.sweep().catch((error: unknown) => this.#log.error({ err: error }, 'sweep failed'))
      }, sweepIntervalMs)
      this.#timer.unref()
    }
  }

  /** Handles the Repo holds now, in any state. */
  get loadedDocuments(): number {
    return Object.keys(this.#repo.handles).length
  }

  /**
   * Marks a document as just used, so it leaves after every idle one.
   * @param documentId - any id; one the Repo does not hold is forgotten at the next sweep
   */
  touch(documentId: DocumentId): void {
    this.#lastUse.delete(documentId)
    this.#lastUse.set(documentId, this.#now())
  }

  /**
   * Evicts the least recently used idle handles until at most `maxLoadedDocuments` remain, or
   * no idle one is left. Runs one sweep at a time (a call during a sweep gets that sweep's
   * result); never rejects (a document that fails to flush stays, and is logged).
   */
  sweep(): Promise<SweepResult> {
    if (this.#sweeping) return this.#sweeping
    const sweeping = this.#sweep().finally(() => {
      this.#sweeping = undefined
    })
    this.#sweeping = sweeping
    return sweeping
  }

  /** Stops sweeping and tracking, and waits for a sweep under way. The Repo keeps its handles. */
  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    clearInterval(this.#timer)
    this.#repo.off('doc-metrics', this.#onMetrics)
    for (const handle of Object.values(this.#repo.handles)) {
      handle.off('heads-changed', this.#onHeadsChanged)
    }
    const synchronizer = this.#repo.synchronizer
    // Only our own wrapper goes; one installed on top of it stays working (it calls ours).
    if (synchronizer.receiveMessage === this.#pinningReceive) {
      if (this.#ownReceive) Object.defineProperty(synchronizer, 'receiveMessage', this.#ownReceive)
      else Reflect.deleteProperty(synchronizer, 'receiveMessage')
    }
    await this.#sweeping
  }

  async #sweep(): Promise<SweepResult> {
    const handles = this.#repo.handles
    const before = Object.keys(handles).length
    if (this.#stopped) return { before, evicted: 0, after: before }
    this.#reconcile(handles)
    const excess = before - this.#maxLoadedDocuments
    if (excess <= 0) return { before, evicted: 0, after: before }

    const candidates: DocHandle<unknown>[] = []
    for (const documentId of this.#lastUse.keys()) {
      if (candidates.length === excess) break
      const handle = handles[documentId]
      if (handle && this.#isEvictable(handle)) candidates.push(handle)
    }
    const ready = candidates.filter((handle) => handle.isReady())
    const flushedHeads = new Map(ready.map((handle) => [handle, handle.heads().join(',')]))
    try {
      // Saving emits doc-saved synchronously, before storage is awaited: those events are the
      // evictor's own and must not count as use.
      this.#flushing = true
      const flushed = this.#repo.flush(ready.map((handle) => handle.documentId))
      this.#flushing = false
      await flushed
    } catch (error) {
      this.#flushing = false
      // Nothing leaves memory unless storage has it.
      this.#log.error({ err: error, documents: ready.length }, 'flush before eviction failed')
      return { before, evicted: 0, after: this.loadedDocuments }
    }
    const results = await Promise.all(
      candidates.map((handle) => this.#evict(handle, flushedHeads.get(handle))),
    )
    const evicted = results.filter(Boolean).length
    const after = this.loadedDocuments
    this.#log.debug({ before, evicted, after }, 'swept')
    return { before, evicted, after }
  }

  /**
   * Forgets ids the Repo no longer holds; watches handles it has made since the last sweep,
   * counting them as just used and just changed (their first changes went unseen).
   */
  #reconcile(handles: Repo['handles']): void {
    for (const documentId of this.#lastUse.keys()) {
      if (!(documentId in handles)) this.#lastUse.delete(documentId)
    }
    for (const documentId of this.#changedAt.keys()) {
      if (!(documentId in handles)) this.#changedAt.delete(documentId)
    }
    for (const handle of Object.values(handles)) {
      if (this.#watched.has(handle)) continue
      this.#watched.add(handle)
      handle.on('heads-changed', this.#onHeadsChanged)
      this.#changedAt.set(handle.documentId, performance.now())
      if (!this.#lastUse.has(handle.documentId)) this.touch(handle.documentId)
    }
  }

  #isEvictable(handle: DocHandle<unknown>): boolean {
    const documentId = handle.documentId
    if (this.#inFlight.has(documentId)) return false
    if (!handle.isReady() && !handle.isUnavailable()) return false
    const changedAt = this.#changedAt.get(documentId) ?? -Infinity
    if (performance.now() - changedAt < this.#saveSettleMs) return false
    const lastUse = this.#lastUse.get(documentId) ?? -Infinity
    return this.#now() - lastUse >= this.#idleMs
  }

  /**
   * Removes one handle, unless it was used while the flush awaited storage.
   * @param flushedHeads - the heads the flush saved, for a ready handle
   */
  async #evict(handle: DocHandle<unknown>, flushedHeads: string | undefined): Promise<boolean> {
    const documentId = handle.documentId
    if (this.#stopped || this.#repo.handles[documentId] !== handle) return false
    if (!this.#isEvictable(handle)) return false
    if (flushedHeads !== undefined && handle.heads().join(',') !== flushedHeads) return false
    // removeFromCache reads the document first and throws for a handle that is not ready; an
    // unavailable handle holds an empty document, so marking it ready changes nothing else.
    if (handle.isUnavailable()) handle.doneLoading()
    // removeFromCache unloads the handle, which replaces its document with an empty one: the
    // Repo's save listener would write that empty document 100 ms later as a compacted
    // snapshot and delete the stored chunks (automerge-repo issue #435), and the synchronizer
    // would try to send the change. The handle is going away; nothing may hear it change.
    const listeners = {
      'heads-changed': handle.listeners('heads-changed'),
      change: handle.listeners('change'),
    }
    handle.removeAllListeners('heads-changed')
    handle.removeAllListeners('change')
    try {
      await this.#repo.removeFromCache(documentId)
    } catch (error) {
      // Still in the Repo: it must go on saving and syncing the document.
      if (this.#repo.handles[documentId] === handle) {
        for (const listener of listeners['heads-changed']) handle.on('heads-changed', listener)
        for (const listener of listeners.change) handle.on('change', listener)
      }
      this.#log.error({ err: error, documentId }, 'eviction failed')
      return false
    }
    this.#lastUse.delete(documentId)
    this.#changedAt.delete(documentId)
    return true
  }

  /**
   * Loads a stored document the Repo does not hold, before the Repo takes a message for it.
   * The Repo's own load (`find`) races the storage read against a module-wide promise that
   * never settles, and every such race stays attached to it with the loaded document: about
   * 16 KB of heap and wasm memory for every load, forever. `findClassic` loads without that
   * race, but for an id storage lacks it would make a handle before the share policy is asked;
   * so it runs only for documents storage holds, and the Repo handles every other id itself.
   * @returns undefined when the Repo holds the document already
   */
  #load(documentId: DocumentId): Promise<void> | undefined {
    if (documentId in this.#repo.handles) return undefined
    const storage = this.#repo.storageSubsystem
    const loading = (async () => {
      try {
        if ((await storage?.loadDocData(documentId)) == null) return
        if (documentId in this.#repo.handles) return
        await this.#repo.findClassic(documentId, {
          allowableStates: ['ready', 'unavailable', 'requesting'],
        })
      } catch (error) {
        // The Repo's own load will try again.
        this.#log.error({ err: error, documentId }, 'loading a document failed')
      } finally {
        this.#loading.delete(documentId)
      }
    })()
    this.#loading.set(documentId, loading)
    return loading
  }

  #pin(documentId: DocumentId): void {
    this.#inFlight.set(documentId, (this.#inFlight.get(documentId) ?? 0) + 1)
    this.touch(documentId)
  }

  #unpin(documentId: DocumentId): void {
    const count = (this.#inFlight.get(documentId) ?? 1) - 1
    if (count > 0) this.#inFlight.set(documentId, count)
    else this.#inFlight.delete(documentId)
    this.touch(documentId)
  }
}

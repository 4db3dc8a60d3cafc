import * as Automerge from '@automerge/automerge'
import type {
  DocHandle,
  DocumentId,
  PeerId,
  Repo,
  RepoEvents,
} from '@automerge/automerge-repo/slim'
import {
  canRead,
  type RowProjection,
  projectRow,
  type PermissionRules,
  type RelayChangesMessage,
  type RowDocument,
  type Schema,
  sameHeads,
} from '@rowsync/schema'
import type { Logger } from 'pino'
import type { JoinedPeer, RelayOwnMessage } from './RelayNetworkAdapter.ts'

type DocMetrics = Parameters<RepoEvents['doc-metrics']>[0]
type HeadsChanged = { handle: DocHandle<unknown>; doc: Automerge.Doc<unknown> }

/** What {@link ChangePusher} sends through: the relay's RelayNetworkAdapter. */
export interface PushNetwork {
  readonly peerId?: PeerId | undefined
  joinedPeers(): JoinedPeer[]
  sendTo(message: RelayOwnMessage): boolean
}

/** The live connection an upload came from: a peer id its user named. */
export interface UploadOrigin {
  readonly peerId: string
  readonly user: string
}

/** Options of {@link ChangePusher}. */
export interface ChangePusherOptions {
  /** The relay's repo, whose handles it watches. */
  readonly repo: Repo
  readonly network: PushNetwork
  /** The schema, to project the changed row. */
  readonly schema: Schema
  /** Who may read the row after the change. */
  readonly rules: PermissionRules
  readonly logger: Logger
}

/**
 * Pushes every change the relay accepts to the connected Rowsync devices (peers that joined
 * with `rowsyncPeerMetadata`) whose user may read the row after the change, as a
 * `RelayChangesMessage` with the changes (`saveSince` the heads before), at once: unlike
 * automerge-repo's per-document sync, which sends a document's changes at most every 100 ms.
 * Stock clients never get these messages (they would choke on the unknown type); they sync as
 * before.
 *
 * It listens to each handle's `heads-changed` event and remembers the heads it last pushed.
 * automerge-repo has no event for a new handle, so a handle is watched from its first
 * `doc-metrics` event (a storage load, or a sync message, which is reported while the handle
 * still holds the document before it), and from {@link accepted}, which whoever imports a new
 * row (the upload path, sync's row creation, the rows API) must call. A handle's first load
 * from storage is not a change and is not pushed.
 */
export class ChangePusher {
  readonly #repo: Repo
  readonly #network: PushNetwork
  readonly #schema: Schema
  readonly #rules: PermissionRules
  readonly #log: Logger
  readonly #watched = new WeakSet<DocHandle<unknown>>()
  /** The heads each watched handle was last pushed (or loaded) at; absent while it loads. */
  readonly #pushed = new WeakMap<DocHandle<unknown>, readonly string[]>()
  #stopped = false
  readonly #onMetrics = (event: DocMetrics): void => {
    const handle = this.#repo.handles[event.documentId]
    if (handle !== undefined) this.#watch(handle)
  }
  readonly #onHeadsChanged = ({ handle, doc }: HeadsChanged): void => {
    try {
      this.#settle(handle, doc as Automerge.Doc<RowDocument>)
    } catch (error) {
      // Never into automerge-repo: a failed push is the device's to catch up from the feed.
      this.#log.error({ err: error, documentId: handle.documentId }, 'push failed')
    }
  }

  /** Starts watching the repo's handles. */
  constructor(options: ChangePusherOptions) {
    this.#repo = options.repo
    this.#network = options.network
    this.#schema = options.schema
    this.#rules = options.rules
    this.#log = options.logger.child({ component: 'ChangePusher' })
    this.#repo.on('doc-metrics', this.#onMetrics)
  }

  /**
   * Says the relay accepted changes to a ready handle since `before`: pushes what was not
   * pushed yet, and watches the handle from now on. Never throws.
   * @param handle - a ready handle of the relay's repo
   * @param before - the row's heads before the changes (hex); [] for a row just created
   */
  readonly accepted = (handle: DocHandle<unknown>, before: readonly string[]): void => {
    if (this.#stopped || !handle.isReady()) return
    if (!this.#watched.has(handle)) {
      this.#watch(handle)
      this.#pushed.set(handle, before)
    }
    this.#onHeadsChanged({ handle, doc: handle.doc() })
  }

  /**
   * Says the relay stored a new row without making a handle for it (the upload path): pushes
   * the whole document. Never throws.
   * @param documentId - the row document
   * @param document - the saved document
   * @param projection - the row it holds
   * @param origin - the uploader's own live connection, which has the row already
   */
  readonly stored = (
    documentId: DocumentId,
    document: Uint8Array,
    projection: RowProjection,
    origin?: UploadOrigin,
  ): void => {
    if (this.#stopped) return
    this.#send(documentId, projection, document, projection.heads, origin)
  }

  /** Stops watching; pushes nothing more. */
  stop(): void {
    this.#stopped = true
    this.#repo.off('doc-metrics', this.#onMetrics)
    for (const handle of Object.values(this.#repo.handles)) {
      handle.off('heads-changed', this.#onHeadsChanged)
    }
  }

  #hasDevices(): boolean {
    return this.#network.joinedPeers().some((peer) => peer.peerMetadata.rowsync !== undefined)
  }

  #watch(handle: DocHandle<unknown>): void {
    if (this.#stopped || this.#watched.has(handle)) return
    this.#watched.add(handle)
    handle.on('heads-changed', this.#onHeadsChanged)
    if (handle.isReady()) this.#pushed.set(handle, Automerge.getHeads(handle.doc()))
    // Storage had nothing: what arrives is a new row, not a load.
    else if (handle.inState(['requesting', 'unavailable'])) this.#pushed.set(handle, [])
  }

  #settle(handle: DocHandle<unknown>, doc: Automerge.Doc<RowDocument>): void {
    const before = this.#pushed.get(handle)
    const after = Automerge.getHeads(doc)
    this.#pushed.set(handle, after)
    if (before === undefined || sameHeads(before, after)) return
    this.#push(handle.documentId, doc, before, after)
  }

  #push(
    documentId: DocumentId,
    doc: Automerge.Doc<RowDocument>,
    before: readonly string[],
    after: readonly string[],
  ): void {
    if (!this.#hasDevices()) return
    const result = projectRow(this.#schema, documentId, doc)
    // A document that is not a valid row is served to nobody.
    if (!result.ok) return
    this.#send(documentId, result.projection, Automerge.saveSince(doc, [...before]), after)
  }

  /** Sends changes of a row to the connected devices whose users may read it. */
  #send(
    documentId: DocumentId,
    projection: RowProjection,
    data: Uint8Array,
    heads: readonly string[] = projection.heads,
    origin?: UploadOrigin,
  ): void {
    const senderId = this.#network.peerId
    if (senderId === undefined) return
    const { table, values } = projection
    const readers = this.#network
      .joinedPeers()
      .filter(
        (peer) =>
          peer.peerMetadata.rowsync !== undefined &&
          !(peer.peerId === origin?.peerId && peer.user.id === origin.user) &&
          canRead(this.#rules, peer.user, table, values),
      )
    if (readers.length === 0) return
    for (const peer of readers) {
      const message: RelayChangesMessage = {
        type: 'rowsync-changes',
        senderId,
        targetId: peer.peerId,
        documentId,
        heads,
        data,
      }
      this.#network.sendTo(message as RelayChangesMessage & RelayOwnMessage)
    }
    this.#log.debug({ documentId, peers: readers.length, bytes: data.byteLength }, 'pushed')
  }
}

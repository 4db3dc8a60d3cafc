/**
 * The wire contract between Rowsync devices and the relay, beside automerge-repo's WebSocket
 * protocol (which stock automerge-repo clients speak at {@link relayPaths.sync}). Every HTTP
 * path is authenticated with `Authorization: Bearer <token>`.
 *
 * - `GET profile`: {@link ProfileBody}, what the user's profile syncs and how often.
 * - `GET snapshot`: every row the user may read, as a document stream (`documentStream`) whose
 *   records carry projections; continue with the feed from the header's `seq`.
 * - `GET feed?since=SEQ&limit=N`: {@link FeedBody}, the rows changed after SEQ.
 * - `POST documents` with {@link DocumentsRequest}: the named rows the user may read, as a
 *   document stream with projections (rows the user may not read, or that do not exist, are
 *   left out).
 * - `POST upload` with a document stream of changes (no projections): {@link UploadResponse}.
 * - WebSocket `sync`: after automerge-repo's join (with {@link rowsyncPeerMetadata}), the relay
 *   pushes every accepted change of a row the user may read as a {@link RelayChangesMessage}.
 */
export const relayPaths = {
  profile: '/v1/profile',
  snapshot: '/v1/snapshot',
  feed: '/v1/feed',
  documents: '/v1/documents',
  upload: '/v1/upload',
  sync: '/sync',
} as const

/** The body of a profile response. */
export interface ProfileBody {
  /** The tables the user may read, sorted. */
  readonly tables: readonly string[]
  /** Minutes between scheduled syncs of each of those tables (5 to 1440). */
  readonly syncIntervalMinutes: Readonly<Record<string, number>>
}

/** One entry of a feed page: a row the user may read, in its latest state. */
export interface FeedRowEntry {
  readonly seq: number
  readonly table: string
  readonly id: string
  readonly documentId: string
  /** The automerge-repo URL a stock client can `find`. */
  readonly url: string
  readonly heads: readonly string[]
  readonly deleted: boolean
}

/**
 * One entry of a feed page for a row the user may not read (any more): a device that holds
 * the document must let it go. Says nothing but the opaque document id.
 */
export interface FeedLeftEntry {
  readonly seq: number
  readonly documentId: string
  readonly left: true
}

/** An entry of a feed page. */
export type FeedEntryBody = FeedRowEntry | FeedLeftEntry

/** The body of a feed response. */
export interface FeedBody {
  readonly entries: readonly FeedEntryBody[]
  /** The `since` of the next page, or null once this page reached `last`. */
  readonly next: number | null
  /**
   * The feed's highest sequence number; a device that caught up keeps it as its cursor.
   * `since` above `last` means the relay's feed was reset: download a snapshot again.
   */
  readonly last: number
}

/** The body of `POST documents`. */
export interface DocumentsRequest {
  /** Row document ids, at most {@link relayLimits.documentsPerRequest}. */
  readonly ids: readonly string[]
}

/** The relay's answer for one uploaded record. */
export type UploadResult =
  | {
      readonly documentId: string
      readonly ok: true
      /** The relay's heads of the row after the upload. */
      readonly heads: readonly string[]
    }
  | {
      readonly documentId: string
      readonly ok: false
      /** Why the changes were refused, for a person (they were not stored or forwarded). */
      readonly reason: string
      /**
       * The changes build on changes the relay does not have (it lost them, or never got
       * them): send the whole row instead.
       */
      readonly missingDependencies?: true
    }

/** The body of an upload response: one result per record, in upload order. */
export interface UploadResponse {
  readonly results: readonly UploadResult[]
}

/**
 * The header a device sends with an upload to name its live connection (its automerge-repo
 * peer id): the relay does not push the new rows of the upload back to that connection.
 */
export const uploaderPeerHeader = 'rowsync-peer'

/** Sizes the relay accepts, which devices split their requests by. */
export const relayLimits = {
  documentsPerRequest: 1000,
  uploadRecordsPerRequest: 2000,
  uploadBytesPerRequest: 16 * 1024 * 1024,
} as const

/** The peer metadata a Rowsync device sends in automerge-repo's join message. */
export const rowsyncPeerMetadata = { rowsync: 1 } as const

/**
 * Pushed by the relay over the sync WebSocket to a Rowsync device (never to stock clients):
 * changes the relay accepted for a row the device's user may read. `data` holds the changes
 * (Automerge `saveSince` bytes); `heads` are the relay's heads after them.
 */
export interface RelayChangesMessage {
  readonly type: 'rowsync-changes'
  readonly senderId: string
  readonly targetId: string
  readonly documentId: string
  readonly heads: readonly string[]
  readonly data: Uint8Array
}

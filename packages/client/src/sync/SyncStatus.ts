/**
 * The connection state a person sees, as mobile offline apps show it:
 * - `not-connected`: no relay connection (offline, relay unreachable, or held by the lifecycle);
 * - `connected`: live with the relay, nothing to do;
 * - `syncing`: a download, catch-up or upload is running (see `progress`);
 * - `error`: the last attempt failed (see `lastError`); it is retried by itself.
 */
export type ConnectionState = 'not-connected' | 'connected' | 'syncing' | 'error'

/** Progress of one table in a download. */
export interface TableProgress {
  readonly rows: number
  readonly totalRows: number
}

/** Progress of a running download (initial snapshot or catch-up). */
export interface SyncProgress {
  readonly phase: 'download' | 'catch-up' | 'upload'
  readonly rows: number
  readonly totalRows: number
  readonly bytes: number
  readonly totalBytes: number
  /** Rows done per table, for tables seen so far. */
  readonly tables: Readonly<Record<string, TableProgress>>
}

/** A local change the relay refused: it stays on this device until retried or discarded. */
export interface SyncError {
  readonly documentId: string
  readonly table: string
  readonly id: string
  /** The relay's reason, for a person. */
  readonly reason: string
  /** When the relay refused it (ms since the epoch). */
  readonly at: number
}

/** Everything a sync status line or a device status page shows. */
export interface SyncStatus {
  readonly state: ConnectionState
  /** Set while `state` is `syncing`. */
  readonly progress?: SyncProgress | undefined
  /** Rows with local changes the relay has not acknowledged yet. */
  readonly pendingUpload: number
  /** Why sync is held back (the lifecycle's reason), when it is. */
  readonly heldBack?: string | undefined
  /** The last failure to reach or talk to the relay, for a person. */
  readonly lastError?: string | undefined
  /** When the device was last fully in sync with the relay (ms since the epoch). */
  readonly lastSyncedAt?: number | undefined
  /** Local changes the relay refused. */
  readonly errors: readonly SyncError[]
}

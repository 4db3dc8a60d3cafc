/** What a sync that is already running does now; ordered from least to most restrictive. */
export type OngoingSync = 'continue' | 'pause' | 'stop'

/** Every ongoing-sync answer, from least to most restrictive. */
export const ONGOING_SYNC: readonly OngoingSync[] = ['continue', 'pause', 'stop']

/** The answer of the lifecycle rules: what sync may do now, and why. */
export interface SyncPermission {
  /** A new sync (on change, on reconnect, by hand) may start now. */
  startSync: boolean
  /** The periodic sync may fire now. */
  scheduledSync: boolean
  /** What a sync already running does now. */
  ongoingSync: OngoingSync
  /** Keep a live connection streaming changes both ways. */
  live: boolean
  /** One sentence a person understands, e.g. for the status line. */
  reason: string
}

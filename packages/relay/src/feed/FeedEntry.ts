import type { FieldValue } from '@rowsync/schema'

/**
 * What the feed records of one row document: its latest accepted state. The feed keeps one
 * entry per document; a newer change replaces the entry under a higher sequence number.
 * `values` let the relay check read permission (and list rows) without loading the document;
 * with `deleteConflict` the entry is the row's whole projection (`RowProjection`).
 */
export interface FeedEntry {
  /** The feed sequence number: unique, increasing, never reused, also across restarts. */
  readonly seq: number
  readonly documentId: string
  readonly table: string
  readonly id: string
  /** The document's heads (hex change hashes, as `Automerge.getHeads` returns them). */
  readonly heads: readonly string[]
  /** Whether the row is a tombstone. */
  readonly deleted: boolean
  /** The row's field values in that state. */
  readonly values: Readonly<Record<string, FieldValue>>
  /** Fields with the `flag` policy holding concurrent values in that state. */
  readonly flagged: readonly string[]
  /** Whether the row is deleted while a concurrent edit waits for a person (delete policy `flag`). */
  readonly deleteConflict: boolean
}

/** A row state the feed is asked to record: a {@link FeedEntry} before it has a number. */
export type FeedRow = Omit<FeedEntry, 'seq'>

import type { FieldValue } from '../Schema.ts'

/**
 * What queries need of a row, derived from its document and persisted beside it so a device
 * opens without loading documents. `heads` says which document state it was derived from.
 */
export interface RowProjection {
  readonly documentId: string
  readonly table: string
  readonly id: string
  readonly deleted: boolean
  readonly values: Readonly<Record<string, FieldValue>>
  /** Fields with the `flag` policy that hold concurrent values. */
  readonly flagged: readonly string[]
  /** The row is deleted and a concurrent edit is waiting for a person (delete policy `flag`). */
  readonly deleteConflict: boolean
  readonly heads: readonly string[]
}

/** The outcome of projecting a document: the projection, or why the document is not a valid row. */
export type ProjectionResult =
  { ok: true; projection: RowProjection } | { ok: false; reason: string }

import type * as Automerge from '@automerge/automerge'
import {
  describeConflicts,
  type Conflict,
  type FieldValue,
  type RowDocument,
  type RowProjection,
} from '@rowsync/schema'

/** A row as the rows API returns it (`GET`, `PUT` and `DELETE` of one row). */
export interface RowBody {
  table: string
  id: string
  documentId: string
  /** The automerge-repo URL a stock client can `find` (`automerge:<documentId>`). */
  url: string
  /** Whether the row is a tombstone; its last values stay readable. */
  deleted: boolean
  values: Readonly<Record<string, FieldValue>>
  /** The document's heads (hex change hashes, as `Automerge.getHeads` returns them). */
  heads: readonly string[]
  /** Flagged fields and delete conflicts waiting for a person, from `describeConflicts`. */
  conflicts: Conflict[]
}

/**
 * Builds the response body of one row.
 * @param projection - the row's projection
 * @param doc - the row document it was projected from (for the conflicts' writers)
 */
export function rowBody(projection: RowProjection, doc: Automerge.Doc<RowDocument>): RowBody {
  return {
    table: projection.table,
    id: projection.id,
    documentId: projection.documentId,
    url: `automerge:${projection.documentId}`,
    deleted: projection.deleted,
    values: projection.values,
    heads: projection.heads,
    conflicts: describeConflicts(projection, doc),
  }
}

import type * as Automerge from '@automerge/automerge'
import type { RowDocument } from '@rowsync/schema'

/**
 * Reads the relay's row documents for the rows API without keeping them loaded; the relay's
 * `RowDocuments` is one.
 */
export interface RowReader {
  /**
   * Calls `use` with the document (live, or loaded from storage and freed when `use` returns).
   * @returns what `use` returned, or undefined when the relay does not hold the document
   */
  read<T>(documentId: string, use: (doc: Automerge.Doc<RowDocument>) => T): Promise<T | undefined>
  /** Whether the relay holds the document. */
  holds(documentId: string): Promise<boolean>
}

import type { DocumentRecord, RowProjection } from '@rowsync/schema'
import type { Feed } from './Feed.ts'
import type { FeedEntry } from './FeedEntry.ts'
import type { RowDocuments } from './RowDocuments.ts'

/** Which rows a user may be sent: `canRead` on the row's table and values. */
export type IncludeRow = (row: RowProjection) => boolean

/** The projection part of a feed entry (without its sequence number). */
export function projectionOf(entry: FeedEntry): RowProjection {
  const { documentId, table, id, deleted, values, flagged, deleteConflict, heads } = entry
  return { documentId, table, id, deleted, values, flagged, deleteConflict, heads }
}

/**
 * The document stream record of a row in its latest state, when the relay holds it and
 * `include` accepts it both as the feed recorded it and as the bytes sent show it (the stored
 * document may be newer than the feed's entry; see RowDocuments.export).
 * @param options.feed - the relay's feed, which knows the rows
 * @param options.documents - reads the stored documents
 * @param options.include - which rows the user may be sent
 * @param documentId - the row document
 * @returns undefined for a document the feed does not know or the user may not read
 * @throws Error when stored chunks do not load as an Automerge document
 */
export async function exportRow(
  options: { feed: Feed; documents: RowDocuments; include: IncludeRow },
  documentId: string,
): Promise<DocumentRecord | undefined> {
  const entry = await options.feed.entry(documentId)
  if (entry === undefined || !options.include(entry)) return undefined
  const exported = await options.documents.export(documentId, projectionOf(entry))
  if (exported === undefined || !options.include(exported.projection)) return undefined
  return {
    documentId,
    seq: entry.seq,
    projection: exported.projection,
    document: exported.document,
  }
}

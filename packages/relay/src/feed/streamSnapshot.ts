import type { Writable } from 'node:stream'
import { documentStream } from '@rowsync/schema'
import { exportRow, type IncludeRow } from './exportRow.ts'
import type { Feed } from './Feed.ts'
import type { RowDocuments } from './RowDocuments.ts'
import { writeChunk } from './writeChunk.ts'

/** What {@link streamSnapshot} needs. */
export interface StreamSnapshotOptions {
  readonly feed: Feed
  readonly documents: RowDocuments
  /** Which rows to send (the rows the user may read). */
  readonly include: IncludeRow
  /** Where to write; an HTTP response in the relay. */
  readonly sink: Writable
}

/** A row the snapshot will send, found in the first pass. */
interface Planned {
  readonly documentId: string
}

/** A row that left the user's scope, or storage, between the two passes of a snapshot. */
export class SnapshotChangedError extends Error {
  override name = 'SnapshotChangedError'
}

/**
 * Writes a snapshot of the rows `include` accepts to `sink` as a document stream (see
 * `documentStream` in @rowsync/schema) whose records carry each row's projection, and ends it.
 * Two passes over the feed up to its last sequence number at the start: the first finds the
 * rows and sums their stored sizes for the header, the second writes each row in its latest
 * state (its current feed entry, and bytes that match the projection sent; see
 * RowDocuments.export), loaded from storage just before it is written, so one document's bytes
 * are in memory at a time (plus the list of row ids). Waits for `drain` whenever `write` says
 * the sink is full. Returns early, without ending the sink, when the sink closes (the client
 * went away).
 * @param options - see {@link StreamSnapshotOptions}
 * @returns whether the whole snapshot was written
 * @throws SnapshotChangedError when a listed row left the user's scope or storage meanwhile
 *   (the header's count can no longer be met: destroy the sink; the client asks again)
 * @throws Error when stored chunks do not load
 */
export async function streamSnapshot(options: StreamSnapshotOptions): Promise<boolean> {
  const { feed, documents, include, sink } = options
  const seq = feed.last
  const planned: Planned[] = []
  const tables: Record<string, number> = {}
  let bytes = 0
  for await (const entry of feed.entries(seq)) {
    if (sink.destroyed) return false
    if (!include(entry)) continue
    const chunks = await documents.chunks(entry.documentId)
    bytes += chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0)
    planned.push({ documentId: entry.documentId })
    tables[entry.table] = (tables[entry.table] ?? 0) + 1
  }
  const header = documentStream.header({ seq, count: planned.length, bytes, tables })
  if (!(await writeChunk(sink, header))) return false
  for (const { documentId } of planned) {
    const record = await exportRow({ feed, documents, include }, documentId)
    if (record === undefined) {
      throw new SnapshotChangedError(
        `streamSnapshot: row document ${documentId} left the snapshot while it was streamed`,
      )
    }
    if (!(await writeChunk(sink, documentStream.record(record)))) return false
  }
  if (!(await writeChunk(sink, documentStream.end()))) return false
  sink.end()
  return true
}

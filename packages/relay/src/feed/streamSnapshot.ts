import type { Writable } from 'node:stream'
import type { Feed } from './Feed.ts'
import type { FeedEntry } from './FeedEntry.ts'
import type { RowDocuments } from './RowDocuments.ts'
import { snapshotFormat } from './snapshotFormat.ts'

/** What {@link streamSnapshot} needs. */
export interface StreamSnapshotOptions {
  readonly feed: Feed
  readonly documents: RowDocuments
  /** Which rows to send (the rows the user may read). */
  readonly include: (entry: FeedEntry) => boolean
  /** Where to write; an HTTP response in the relay. */
  readonly sink: Writable
}

/** A row the snapshot will send, found in the first pass. */
interface Planned {
  readonly documentId: string
  readonly seq: number
  readonly deleted: boolean
}

/**
 * Writes a snapshot (see {@link snapshotFormat}) of the rows `include` accepts to `sink`, and
 * ends it. Two passes over the feed up to its last sequence number at the start: the first
 * finds the rows and sums their stored sizes for the header, the second writes each document,
 * loaded from storage just before it is written, so one document's bytes are in memory at a
 * time (plus the list of row ids). Waits for `drain` whenever `write` says the sink is full.
 * Returns early, without ending the sink, when the sink closes (the client went away).
 * @param options - see {@link StreamSnapshotOptions}
 * @returns whether the whole snapshot was written
 * @throws Error when a listed document has no stored chunks (the stream is then incomplete;
 *   destroy the sink)
 */
export async function streamSnapshot(options: StreamSnapshotOptions): Promise<boolean> {
  const { feed, documents, include, sink } = options
  const seq = feed.last
  const planned: Planned[] = []
  let bytes = 0
  for await (const entry of feed.entries(seq)) {
    if (sink.destroyed) return false
    if (!include(entry)) continue
    const chunks = await documents.chunks(entry.documentId)
    bytes += chunks.reduce((sum, chunk) => sum + chunk.length, 0)
    planned.push({ documentId: entry.documentId, seq: entry.seq, deleted: entry.deleted })
  }
  if (!(await write(sink, snapshotFormat.header({ seq, count: planned.length, bytes })))) {
    return false
  }
  for (const row of planned) {
    const chunks = await documents.chunks(row.documentId)
    if (chunks.length === 0) {
      throw new Error(`streamSnapshot: row document ${row.documentId} has no stored chunks`)
    }
    if (!(await write(sink, snapshotFormat.record({ ...row, chunks })))) return false
  }
  if (!(await write(sink, snapshotFormat.end()))) return false
  sink.end()
  return true
}

/** Writes a chunk; when the sink is full, resolves on `drain` (true) or `close` (false). */
async function write(sink: Writable, chunk: Buffer): Promise<boolean> {
  if (sink.destroyed) return false
  if (sink.write(chunk)) return true
  return new Promise((resolve) => {
    const settle = (written: boolean) => () => {
      sink.off('drain', onDrain)
      sink.off('close', onClose)
      resolve(written)
    }
    const onDrain = settle(true)
    const onClose = settle(false)
    sink.once('drain', onDrain)
    sink.once('close', onClose)
  })
}

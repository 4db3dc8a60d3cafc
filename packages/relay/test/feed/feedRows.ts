import type { FeedBody, FeedEntryBody, FeedRowEntry } from '@rowsync/schema'

/** Whether a feed entry is a row the user may read (not a left entry). */
export function isRowEntry(entry: FeedEntryBody): entry is FeedRowEntry {
  return !('left' in entry)
}

/** The row entries of a feed page (left entries dropped). */
export function rowEntries(body: FeedBody): FeedRowEntry[] {
  return body.entries.filter(isRowEntry)
}

import express from 'express'
import type { Router } from 'express'
import { canRead, type PermissionRules, type UserIdentity } from '@rowsync/schema'
import type { Logger } from 'pino'
import { sendError } from '../http/sendError.ts'
import { userOf } from '../http/userOf.ts'
import type { Feed } from './Feed.ts'
import type { FeedEntry } from './FeedEntry.ts'
import { queryInteger } from '../http/rows/queryInteger.ts'
import type { RowDocuments } from './RowDocuments.ts'
import { snapshotFormat } from './snapshotFormat.ts'
import { streamSnapshot } from './streamSnapshot.ts'

/** One entry of a `GET /v1/feed` response. */
export interface FeedEntryBody {
  seq: number
  table: string
  id: string
  documentId: string
  /** The automerge-repo URL a stock client can `find`. */
  url: string
  heads: readonly string[]
  deleted: boolean
}

/** The body of a `GET /v1/feed` response. */
export interface FeedBody {
  entries: FeedEntryBody[]
  next: number | null
  last: number
}

/** Default and largest `limit` of `GET /v1/feed`. */
export const feedPageLimits = { default: 500, max: 5000 } as const

/**
 * Creates the feed routes, to mount under `/v1` behind authentication. Both return only the
 * rows the user may read (`canRead` on the row's values, as sync decides):
 * - `GET /feed?since=SEQ&limit=N` (since default 0, limit 1 to 5000, default 500; 400
 *   otherwise): `{ entries: [{ seq, table, id, documentId, url, heads, deleted }], next, last }`
 *   with the latest entry of each row changed after SEQ, in sequence order. `next` is the
 *   `since` of the next page, or null once the page reached `last`, the feed's highest sequence
 *   number; a client that caught up keeps `last` as its cursor. A page may hold fewer than
 *   `limit` entries (even none) while `next` is not null. `since` above `last` means the
 *   relay's feed was reset: download a snapshot again.
 * - `GET /snapshot`: every readable row document, streamed in the binary format of
 *   {@link snapshotFormat} (`Content-Type: application/vnd.rowsync.snapshot`); continue with
 *   `/feed?since=` the header's `seq`.
 * @param options.feed - the relay's feed
 * @param options.documents - reads stored row documents for the snapshot
 * @param options.rules - the permission rules
 * @param options.logger - receives snapshots that failed midway
 */
export function createFeedRouter(options: {
  feed: Feed
  documents: RowDocuments
  rules: PermissionRules
  logger: Logger
}): Router {
  const { feed, documents, rules, logger } = options
  const readable = (user: UserIdentity) => (entry: FeedEntry) =>
    canRead(rules, user, entry.table, entry.values)
  const router = express.Router()

  router.get('/feed', async (req, res) => {
    const since = queryInteger(req, 'since', { min: 0, max: Number.MAX_SAFE_INTEGER, default: 0 })
    const limit = queryInteger(req, 'limit', { min: 1, ...feedPageLimits })
    if (!since.ok) {
      sendError(res, 400, since.error)
      return
    }
    if (!limit.ok) {
      sendError(res, 400, limit.error)
      return
    }
    const page = await feed.page({
      since: since.value,
      limit: limit.value,
      include: readable(userOf(res)),
    })
    const body: FeedBody = {
      entries: page.entries.map(({ seq, table, id, documentId, heads, deleted }) => ({
        seq,
        table,
        id,
        documentId,
        url: `automerge:${documentId}`,
        heads,
        deleted,
      })),
      next: page.next,
      last: page.last,
    }
    res.json(body)
  })

  router.get('/snapshot', async (_req, res) => {
    const user = userOf(res)
    res.status(200)
    res.setHeader('Content-Type', snapshotFormat.contentType)
    try {
      await streamSnapshot({ feed, documents, include: readable(user), sink: res })
    } catch (error) {
      logger.error({ error, user: user.id }, 'Snapshot failed midway')
      // Too late for an error status once bytes went out: cut the stream, so the client sees
      // no end marker.
      if (!res.headersSent) throw error
      res.destroy()
    }
  })

  return router
}

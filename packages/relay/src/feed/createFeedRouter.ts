import express from 'express'
import type { Response, Router } from 'express'
import {
  canRead,
  documentStream,
  relayLimits,
  type DocumentRecord,
  type FeedBody,
  type FeedEntryBody,
  type PermissionRules,
  type RowProjection,
  type UserIdentity,
} from '@rowsync/schema'
import type { Logger } from 'pino'
import { sendError } from '../http/sendError.ts'
import { userOf } from '../http/userOf.ts'
import { queryInteger } from '../http/rows/queryInteger.ts'
import { exportRow, type IncludeRow } from './exportRow.ts'
import type { Feed } from './Feed.ts'
import type { FeedEntry } from './FeedEntry.ts'
import type { RowDocuments } from './RowDocuments.ts'
import { streamSnapshot } from './streamSnapshot.ts'
import { writeChunk } from './writeChunk.ts'

/** Default and largest `limit` of `GET /v1/feed`. */
export const feedPageLimits = { default: 500, max: 5000 } as const

/** The ids of a `POST /v1/documents` body, or a message for a 400 response. */
function documentIdsOf(body: unknown): { ok: true; ids: string[] } | { ok: false; error: string } {
  const ids: unknown =
    typeof body === 'object' && body !== null && 'ids' in body ? body.ids : undefined
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
    return { ok: false, error: 'the body must be JSON { "ids": [document ids] }' }
  }
  if (ids.length > relayLimits.documentsPerRequest) {
    return {
      ok: false,
      error: `at most ${relayLimits.documentsPerRequest} ids per request, got ${ids.length}`,
    }
  }
  return { ok: true, ids: [...new Set(ids)] }
}

/**
 * Creates the feed routes, to mount under `/v1` behind authentication (after the JSON body
 * parser). The wire types are `relayProtocol`'s in @rowsync/schema; rows are sent only to users
 * who may read them (`canRead` on the row's values, as sync decides):
 * - `GET /feed?since=SEQ&limit=N` (since default 0, limit 1 to 5000, default 500; 400
 *   otherwise): {@link FeedBody} with the latest entry of each row changed after SEQ, in
 *   sequence order: `{ seq, table, id, documentId, url, heads, deleted }` for a row the user
 *   may read, `{ seq, documentId, left: true }` for one the user may not read (any more), so a
 *   device drops it. `next` is the `since` of the next page, or null once the page reached
 *   `last`, the feed's highest sequence number; a client that caught up keeps `last` as its
 *   cursor. `since` above `last` means the relay's feed was reset: download a snapshot again.
 * - `GET /snapshot`: every readable row as a document stream (`documentStream`, Content-Type
 *   `application/vnd.rowsync.documents`) whose records carry the row's projection, matching
 *   the document bytes; continue with `/feed?since=` the header's `seq`.
 * - `POST /documents` with JSON `{ ids }` (at most `relayLimits.documentsPerRequest`; 400
 *   otherwise): the named rows the user may read, as a document stream with projections, in
 *   the order asked; ids of rows the relay does not hold or the user may not read are left
 *   out. The header's `seq` is the feed's last sequence number before the rows were read.
 * @param options.feed - the relay's feed
 * @param options.documents - reads stored row documents
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
  const readable =
    (user: UserIdentity): IncludeRow =>
    (row: RowProjection) =>
      canRead(rules, user, row.table, row.values)
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
    const include = readable(userOf(res))
    const page = await feed.page({ since: since.value, limit: limit.value, include: () => true })
    const body: FeedBody = {
      entries: page.entries.map((entry) => entryBody(entry, include(entry))),
      next: page.next,
      last: page.last,
    }
    res.json(body)
  })

  router.get('/snapshot', async (_req, res) => {
    const user = userOf(res)
    res.status(200)
    res.setHeader('Content-Type', documentStream.contentType)
    try {
      await streamSnapshot({ feed, documents, include: readable(user), sink: res })
    } catch (error) {
      logger.error({ error, user: user.id }, 'Snapshot failed midway')
      cutOff(res, error)
    }
  })

  router.post('/documents', async (req, res) => {
    const request = documentIdsOf(req.body)
    if (!request.ok) {
      sendError(res, 400, request.error)
      return
    }
    const user = userOf(res)
    const seq = feed.last
    const include = readable(user)
    const records: DocumentRecord[] = []
    for (const documentId of request.ids) {
      const record = await exportRow({ feed, documents, include }, documentId)
      if (record) records.push(record)
    }
    res.status(200)
    res.setHeader('Content-Type', documentStream.contentType)
    try {
      if (!(await writeChunk(res, documentStream.encode(records, seq)))) return
      res.end()
    } catch (error) {
      logger.error({ error, user: user.id }, 'Documents failed midway')
      cutOff(res, error)
    }
  })

  return router
}

function entryBody(entry: FeedEntry, readable: boolean): FeedEntryBody {
  const { seq, documentId } = entry
  if (!readable) return { seq, documentId, left: true }
  const { table, id, heads, deleted } = entry
  return { seq, table, id, documentId, url: `automerge:${documentId}`, heads, deleted }
}

/** Too late for an error status once bytes went out: cut the stream, so the client sees no end marker. */
function cutOff(res: Response, error: unknown): void {
  if (!res.headersSent) throw error
  res.destroy()
}

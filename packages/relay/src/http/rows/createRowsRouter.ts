import express from 'express'
import type { Response, Router } from 'express'
import type { DocHandle, Repo } from '@automerge/automerge-repo/slim'
import {
  canRead,
  isRowId,
  projectRow,
  rowDocumentId,
  type FieldValue,
  type PermissionRules,
  type RowDocument,
  type Schema,
} from '@rowsync/schema'
import { queryInteger } from './queryInteger.ts'
import { sendError } from '../sendError.ts'
import { userOf } from '../userOf.ts'
import { rowBody, type RowBody } from './rowBody.ts'
import type { RowPager } from './RowPager.ts'
import type { RowReader } from './RowReader.ts'
import { RowWriter, type RowWrite } from './RowWriter.ts'
import { tableAccess, type TableAccess } from './tableAccess.ts'

/** One row of a `GET /v1/tables/:table/rows` response. */
export interface RowListItem {
  table: string
  id: string
  documentId: string
  url: string
  values: Readonly<Record<string, FieldValue>>
  heads: readonly string[]
  /** Fields holding a flagged conflict; `GET` the row for the concurrent values. */
  flagged: readonly string[]
}

/** The body of a `GET /v1/tables/:table/rows` response. */
export interface RowListBody {
  rows: RowListItem[]
  /** The `after` of the next page, or null after the last page. */
  next: number | null
}

/** Default and largest `limit` of `GET /v1/tables/:table/rows`. */
export const rowPageLimits = { default: 100, max: 1000 } as const

/**
 * Creates the rows API for integrations, to mount under `/v1` behind authentication (after
 * the JSON body parser). Every route checks permissions like sync does: 404 for an unknown
 * table, 403 when the user's roles grant nothing on the table.
 * - `GET /tables/:table/rows?limit=N&after=CURSOR`: `{ rows: [{ table, id, documentId, url,
 *   values, heads, flagged }], next }`, the rows the user may read that are not deleted,
 *   ordered by their last change (feed order). Pass `next` as `after` for the next page until
 *   it is null; a row that changes while you page may come again later, none is skipped. A
 *   page may hold fewer than `limit` rows (limit 1 to 1000, default 100).
 * - `GET /tables/:table/rows/:id`: the row (see {@link RowBody}: values, heads, conflicts and
 *   `url`, which a stock automerge-repo client can `find` over `/sync`); 404 when there is
 *   no such row, 403 when it exists and the user may not read it. Deleted rows answer 200
 *   with `deleted: true`.
 * - `PUT /tables/:table/rows/:id` with JSON `{ values: { field: value } }`: creates the row
 *   (201) or writes the given fields (200); 400 `{ error, issues }` with every issue of
 *   `validateRow`, 400 for an invalid row id, 403 when the user may not write the row as it
 *   is or as it would become.
 * - `DELETE /tables/:table/rows/:id`: makes the row a tombstone; 200 with the row, 404, 403.
 *
 * Writes go through the relay's repo (see {@link RowWriter}), so connected peers receive them,
 * and answer once stored and recorded in the feed.
 * @param options.schema - the database schema
 * @param options.rules - the permission rules
 * @param options.repo - the relay's repo
 * @param options.documents - reads row documents without loading them into the repo
 * @param options.feed - lists rows
 * @param options.now - the clock for change metadata (default Date.now)
 * @param options.accepted - hears of every change written, with the row's heads before it
 */
export function createRowsRouter(options: {
  schema: Schema
  rules: PermissionRules
  repo: Repo
  documents: RowReader
  feed: RowPager
  now?: () => number
  accepted?: ((handle: DocHandle<RowDocument>, before: readonly string[]) => void) | undefined
}): Router {
  const { schema, rules, documents, feed } = options
  const writer = new RowWriter(options)
  const router = express.Router()

  /** The table of the path, or undefined after answering 404 or 403. */
  const tableOf = (tableName: string, res: Response, use: 'read' | 'write' = 'read') => {
    const user = userOf(res)
    const access: TableAccess = tableAccess(schema, rules, user, tableName)
    if (!access.ok) {
      sendError(res, access.status, access.error)
      return undefined
    }
    if (use === 'write' && !access.writable) {
      sendError(res, 403, `user ${user.id} may not write table ${tableName}`)
      return undefined
    }
    return access.table
  }

  router.get('/tables/:table/rows', async (req, res) => {
    const table = tableOf(req.params.table, res)
    if (table === undefined) return
    const after = queryInteger(req, 'after', { min: 0, max: Number.MAX_SAFE_INTEGER, default: 0 })
    const limit = queryInteger(req, 'limit', { min: 1, ...rowPageLimits })
    if (!after.ok) {
      sendError(res, 400, after.error)
      return
    }
    if (!limit.ok) {
      sendError(res, 400, limit.error)
      return
    }
    const user = userOf(res)
    const page = await feed.page({
      since: after.value,
      limit: limit.value,
      include: (entry) =>
        entry.table === table.name &&
        !entry.deleted &&
        canRead(rules, user, entry.table, entry.values),
    })
    const body: RowListBody = {
      rows: page.entries.map(({ table, id, documentId, values, heads, flagged }) => ({
        table,
        id,
        documentId,
        url: `automerge:${documentId}`,
        values,
        heads,
        flagged,
      })),
      next: page.next,
    }
    res.json(body)
  })

  router.get('/tables/:table/rows/:id', async (req, res) => {
    const table = tableOf(req.params.table, res)
    if (table === undefined) return
    const id = req.params.id
    if (!isRowId(id)) {
      sendError(res, 404, 'no such row')
      return
    }
    const user = userOf(res)
    const documentId = rowDocumentId(schema.database, table.name, id)
    const outcome = await documents.read(documentId, (doc): RowBody | 403 | 404 => {
      const result = projectRow(schema, documentId, doc)
      // A document that is not a valid row is not a row: sync does not serve it either.
      if (!result.ok) return 404
      const { projection } = result
      if (!canRead(rules, user, projection.table, projection.values)) return 403
      return rowBody(projection, doc)
    })
    if (outcome === undefined || outcome === 404) sendError(res, 404, 'no such row')
    else if (outcome === 403) sendError(res, 403, `user ${user.id} may not read this row`)
    else res.json(outcome)
  })

  router.put('/tables/:table/rows/:id', async (req, res) => {
    const table = tableOf(req.params.table, res, 'write')
    if (table === undefined) return
    const id = req.params.id
    if (!isRowId(id)) {
      sendError(res, 400, 'invalid row id: use 1 to 128 letters, digits or . _ : -')
      return
    }
    const body: unknown = req.body
    const values =
      typeof body === 'object' && body !== null && 'values' in body ? body.values : undefined
    answer(res, await writer.put(userOf(res), table, id, values))
  })

  router.delete('/tables/:table/rows/:id', async (req, res) => {
    const table = tableOf(req.params.table, res, 'write')
    if (table === undefined) return
    const id = req.params.id
    if (!isRowId(id)) {
      sendError(res, 404, 'no such row')
      return
    }
    answer(res, await writer.delete(userOf(res), table, id))
  })

  return router
}

function answer(res: Response, outcome: RowWrite): void {
  if (outcome.ok) {
    res.status(outcome.status).json(outcome.body)
  } else if (outcome.issues !== undefined) {
    res.status(outcome.status).json({ error: outcome.error, issues: outcome.issues })
  } else {
    sendError(res, outcome.status, outcome.error)
  }
}

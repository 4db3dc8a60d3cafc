import * as Automerge from '@automerge/automerge'
import type { RowDocumentId, RowId } from '../rowDocumentId.ts'
import type { TableSchema } from '../Schema.ts'
import bs58check from 'bs58check'
import type { RowDocument } from './RowDocument.ts'

/** The message of the skeleton change, which history leaves out. */
export const skeletonMessage = 'rowsync:skeleton'

/**
 * The first change of every row document: its identity, a tombstone, an empty text object per
 * text field and a zero counter per counter field, written by an actor derived from the
 * document id at time 0. Every device that creates the row writes this same change (same
 * bytes, same hash), so rows created on several devices offline share their text and counter
 * objects: concurrent text edits interleave and increments add up instead of one device's
 * objects replacing the other's.
 * @param table - the row's table
 * @param id - the row id
 * @param documentId - the row's document id
 * @param actor - the actor of the changes that follow
 */
export function rowSkeleton(
  table: TableSchema,
  id: RowId,
  documentId: RowDocumentId,
  actor: string,
): Automerge.Doc<RowDocument> {
  const skeletonActor = Array.from(bs58check.decode(documentId), (byte) =>
    byte.toString(16).padStart(2, '0'),
  ).join('')
  const skeleton = Automerge.change(
    Automerge.init<RowDocument>({ actor: skeletonActor }),
    { message: skeletonMessage, time: 0 },
    (doc) => {
      doc._table = new Automerge.ImmutableString(table.name)
      doc._id = new Automerge.ImmutableString(id)
      doc._deleted = true
      for (const field of table.fields.values()) {
        if (field.type === 'text') doc[field.name] = ''
        if (field.type === 'counter') doc[field.name] = new Automerge.Counter(0)
      }
    },
  )
  const doc = Automerge.clone(skeleton, { actor })
  Automerge.free(skeleton)
  return doc
}

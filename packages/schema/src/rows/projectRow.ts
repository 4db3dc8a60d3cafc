import * as Automerge from '@automerge/automerge'
import { isRowId, rowDocumentId } from '../rowDocumentId.ts'
import type { FieldValue, Schema, TableSchema } from '../Schema.ts'
import { validateRow } from '../validateRow.ts'
import { ValidationError } from '../ValidationError.ts'
import { ChangeGraph } from './ChangeGraph.ts'
import { isMetaKey, readStoredValue, type RowDocument } from './RowDocument.ts'
import type { ProjectionResult } from './RowProjection.ts'

/**
 * The distinct values a field holds concurrently, by the operation that wrote each; empty when
 * the field has one value.
 * @param doc - the row document
 * @param field - the field name
 */
export function concurrentValues(
  doc: Automerge.Doc<RowDocument>,
  field: string,
): Array<[opId: string, value: FieldValue | undefined]> {
  const conflicts = Automerge.getConflicts(doc, field)
  if (!conflicts) return []
  const entries = Object.entries(conflicts).map(
    ([opId, value]) => [opId, readStoredValue(value)] as [string, FieldValue | undefined],
  )
  return new Set(entries.map(([, value]) => JSON.stringify(value))).size > 1 ? entries : []
}

function isEditOperation(op: Automerge.DecodedChange['ops'][number]): boolean {
  return op.obj !== '_root' || !isMetaKey(op.key)
}

/**
 * The edits concurrent with the delete that made a row deleted: changes that wrote fields
 * without having seen that delete, and that the delete had not seen either; by time, then hash.
 * @param doc - a deleted row document
 */
export function editsConcurrentWithDelete(
  doc: Automerge.Doc<RowDocument>,
): Automerge.DecodedChange[] {
  const graph = new ChangeGraph(doc)
  const tombstoneWrites = graph.changes.filter((change) =>
    change.ops.some((op) => op.obj === '_root' && op.key === '_deleted'),
  )
  const currentDeletes = tombstoneWrites.filter(
    (change) =>
      change.ops.some((op) => op.key === '_deleted' && op.value === true) &&
      !tombstoneWrites.some((other) => graph.ancestors(other.hash).has(change.hash)),
  )
  // Replicas hold the same changes in different orders: sort, so every device lists the same.
  return graph.changes
    .filter(
      (change) =>
        change.ops.some(isEditOperation) &&
        currentDeletes.some((deletion) => graph.concurrent(deletion.hash, change.hash)),
    )
    .sort((a, b) => a.time - b.time || (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0))
}

function readString(value: unknown): string | undefined {
  const read = readStoredValue(value)
  return typeof read === 'string' ? read : undefined
}

function invalid(reason: string): ProjectionResult {
  return { ok: false, reason }
}

function projectValues(
  table: TableSchema,
  doc: Automerge.Doc<RowDocument>,
): { values: Record<string, FieldValue> } | { reason: string } {
  for (const key of Object.keys(doc)) {
    if (!table.fields.has(key) && !isMetaKey(key)) {
      return { reason: `unknown field ${key} in table ${table.name}` }
    }
  }
  // Values in schema order, so every device shows rows alike.
  const values: Record<string, FieldValue> = {}
  for (const field of table.fields.values()) {
    const key = field.name
    const raw = doc[key]
    const value = readStoredValue(raw)
    if (value === undefined) return { reason: `field ${key} holds a value of no field type` }
    if (field.type === 'counter' && value !== null && !Automerge.isCounter(raw)) {
      return { reason: `counter field ${key} holds a plain value` }
    }
    if (field.type === 'text' && value !== null && typeof raw !== 'string') {
      return { reason: `text field ${key} holds a value that is not text` }
    }
    values[key] = value
  }
  // The validated values, not the raw ones: a peer's datetime with an offset becomes UTC.
  const check = validateRow(table, values, 'stored')
  if (!check.ok) return { reason: new ValidationError('row', check.issues).message }
  return { values: check.values }
}

/**
 * Derives a row's projection from its document and checks that the document is a valid row
 * of the schema: known table, row id matching the document id, typed known fields. Never
 * throws on a malformed document.
 * @param schema - the database schema
 * @param documentId - the id the document is stored under
 * @param doc - the row document
 */
export function projectRow(
  schema: Schema,
  documentId: string,
  doc: Automerge.Doc<RowDocument>,
): ProjectionResult {
  const tableName = readString(doc._table)
  const id = readString(doc._id)
  const table = tableName === undefined ? undefined : schema.tables.get(tableName)
  if (!table) return invalid(`unknown table ${JSON.stringify(tableName)}`)
  if (!isRowId(id)) return invalid(`invalid row id ${JSON.stringify(id)}`)
  if (rowDocumentId(schema.database, table.name, id) !== documentId) {
    return invalid(`row ${table.name}/${id} does not belong to document ${documentId}`)
  }
  if (doc._deleted !== undefined && typeof doc._deleted !== 'boolean') {
    return invalid('the tombstone is not a boolean')
  }
  const projected = projectValues(table, doc)
  if ('reason' in projected) return invalid(projected.reason)
  const deleted = doc._deleted === true
  const flagged = [...table.fields.values()]
    .filter((field) => field.policy === 'flag' && concurrentValues(doc, field.name).length > 0)
    .map((field) => field.name)
  return {
    ok: true,
    projection: {
      documentId,
      table: table.name,
      id,
      deleted,
      values: projected.values,
      flagged,
      deleteConflict:
        deleted && table.deletePolicy === 'flag' && editsConcurrentWithDelete(doc).length > 0,
      heads: Automerge.getHeads(doc),
    },
  }
}

import * as Automerge from '@automerge/automerge'
import type { FieldSchema, FieldValue, TableSchema } from '../Schema.ts'

/**
 * The layout of a row document: flat, one key per field, plus three keys that start with `_`
 * (field names never do): the table and row id (written once, never changed) and the tombstone.
 */
export interface RowDocument {
  _table: Automerge.ImmutableString
  _id: Automerge.ImmutableString
  _deleted: boolean
  [field: string]: unknown
}

const metaKeys = new Set(['_table', '_id', '_deleted'])

/**
 * Whether a document key is one of the row's own keys rather than a field.
 * @param key - a key of the row document's root map
 */
export function isMetaKey(key: string): boolean {
  return metaKeys.has(key)
}

/**
 * Reads one stored value as the app sees it: strings for text and immutable strings, numbers
 * for counters, `null` for a missing value.
 * @param value - a value read from a row document
 */
export function readStoredValue(value: unknown): FieldValue | undefined {
  if (value === null || value === undefined) return null
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return value
  }
  if (Automerge.isImmutableString(value)) return value.val
  if (Automerge.isCounter(value)) return value.value
  return undefined
}

/**
 * Converts an app value to the Automerge value stored for a field (strings that are not
 * collaborative text are immutable registers; counters are Automerge counters).
 * @param field - the field
 * @param value - a validated value
 */
export function toStoredValue(field: FieldSchema, value: FieldValue): unknown {
  if (value === null) return null
  switch (field.type) {
    case 'counter':
      return new Automerge.Counter(value as number)
    case 'text':
      return value
    case 'string':
    case 'date':
    case 'datetime':
    case 'choice':
    case 'reference':
      return new Automerge.ImmutableString(value as string)
    case 'number':
      // A float register even for whole numbers, so no value reads back as a bigint.
      return new Automerge.Float64(value as number)
    case 'integer':
    case 'boolean':
      return value
  }
}

/**
 * Writes validated values into a row document inside an Automerge change callback. A value
 * equal to the current one is skipped, so saving an unchanged form writes nothing and cannot
 * flag or resolve a conflict by accident; text fields are diffed into character edits.
 * @param doc - the document proxy of the change callback
 * @param table - the row's table
 * @param values - validated values by field name
 */
export function writeValues(
  doc: RowDocument,
  table: TableSchema,
  values: Readonly<Record<string, FieldValue>>,
): void {
  for (const [name, value] of Object.entries(values)) {
    const field = table.fields.get(name)
    if (!field) throw new Error(`writeValues: no field ${name} in table ${table.name}`)
    const current = doc[name]
    // An absent field reads as null, so clearing a field that was never set writes nothing.
    if (readStoredValue(current) === value) continue
    if (field.type === 'text' && typeof current === 'string') {
      // Edit the row's one text object (cleared, not replaced, by null) so concurrent edits merge.
      Automerge.updateText(doc, [name], typeof value === 'string' ? value : '')
    } else {
      doc[name] = toStoredValue(field, value)
    }
  }
}

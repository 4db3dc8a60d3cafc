import * as Y from 'yjs'
import { baseRow } from './workOrders.ts'

// A row is one Y.Doc holding a Y.Map, as each Rowsync row is one Automerge document: registers
// are plain map values, notes a Y.Text, and visits, since Yjs has no counter type, a Y.Map of
// each replica's own total whose sum is the count (the usual Yjs counter).

/** The map holding a Yjs row's fields. */
export function yjsRow(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap('row')
}

/** A new Yjs document holding row `index`. */
export function createYjsRow(index: number): Y.Doc {
  const doc = new Y.Doc()
  const row = yjsRow(doc)
  doc.transact(() => {
    const { notes, ...registers } = baseRow(index)
    for (const [key, value] of Object.entries(registers)) row.set(key, value)
    row.set('notes', new Y.Text(notes))
    row.set('visits', new Y.Map<number>())
  })
  return doc
}

/** A field of a Yjs row as a plain value: text as a string, the counter as its sum. */
export function yjsFieldValue(doc: Y.Doc, field: string): unknown {
  const value = yjsRow(doc).get(field)
  if (value instanceof Y.Text) return value.toJSON()
  if (value instanceof Y.Map) {
    return [...(value as Y.Map<number>).values()].reduce((sum, count) => sum + count, 0)
  }
  return value
}

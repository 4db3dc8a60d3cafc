import * as Automerge from '@automerge/automerge'
import { baseRow } from './workOrders.ts'

/** A row document as raw Automerge holds it: Rowsync's layout without its skeleton and metadata. */
export type AutomergeRow = Record<string, unknown>

/**
 * A new Automerge document holding row `index` laid out as Rowsync lays it out: strings as
 * immutable registers, notes as text, visits as a counter.
 */
export function createAutomergeRow(index: number): Automerge.Doc<AutomergeRow> {
  const { notes, priority, ...registers } = baseRow(index)
  return Automerge.change(Automerge.init<AutomergeRow>(), (doc) => {
    for (const [key, value] of Object.entries(registers)) {
      doc[key] = new Automerge.ImmutableString(value)
    }
    doc.priority = priority
    doc.notes = notes
    doc.visits = new Automerge.Counter(0)
  })
}

/** A field of an Automerge row as a plain value: immutable strings and counters unwrapped. */
export function automergeFieldValue(doc: Automerge.Doc<AutomergeRow>, field: string): unknown {
  const value = doc[field]
  if (Automerge.isImmutableString(value)) return value.val
  if (Automerge.isCounter(value)) return value.value
  return value
}

import { LoroCounter, LoroDoc, LoroText, type LoroMap } from 'loro-crdt'
import { baseRow } from './workOrders.ts'

// A row is one LoroDoc holding a LoroMap, as each Rowsync row is one Automerge document:
// registers are plain map values, notes a LoroText, visits a LoroCounter.
//
// Every container handle (a map, a text, a counter) keeps its document's wasm memory alive until
// it is freed, even after `doc.free()`; left to the garbage collector, 4,000 rows took 15 times
// as long to build as 1,000. So handles are freed as soon as they are used.

/**
 * Runs `use` on the map holding a Loro row's fields, then frees the map's handle.
 * @param doc - the row's document
 * @param use - must not keep the map
 */
export function withLoroRow<T>(doc: LoroDoc, use: (row: LoroMap) => T): T {
  const row = doc.getMap('row')
  try {
    return use(row)
  } finally {
    row.free()
  }
}

/**
 * Runs `use` on a container handle, then frees it.
 * @param container - a handle just obtained from a document
 * @param use - must not keep the handle
 */
export function using<C extends { free(): void }, T>(container: C, use: (container: C) => T): T {
  try {
    return use(container)
  } finally {
    container.free()
  }
}

/** A new Loro document holding row `index`, committed. */
export function createLoroRow(index: number): LoroDoc {
  const doc = new LoroDoc()
  withLoroRow(doc, (row) => {
    const { notes, ...registers } = baseRow(index)
    for (const [key, value] of Object.entries(registers)) row.set(key, value)
    using(new LoroText(), (detached) =>
      using(row.setContainer('notes', detached), (text) => text.insert(0, notes)),
    )
    using(new LoroCounter(), (detached) => row.setContainer('visits', detached).free())
  })
  doc.commit()
  return doc
}

/** A field of a Loro row as a plain value: text as a string, a counter as its value. */
export function loroFieldValue(doc: LoroDoc, field: string): unknown {
  return withLoroRow(doc, (row) => {
    const value = row.get(field)
    if (value instanceof LoroText) return using(value, (text) => text.toString())
    if (value instanceof LoroCounter) return using(value, (counter) => counter.value)
    return value
  })
}

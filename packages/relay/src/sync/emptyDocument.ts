import { randomBytes } from 'node:crypto'
import * as Automerge from '@automerge/automerge'

/**
 * The actor of the documents the relay only reads (checks, projections, exports): it never
 * writes a change with it, and one per process spares Automerge drawing a random actor for
 * every document, which was a tenth of an upload's time.
 */
const readerActor = randomBytes(16).toString('hex')

/** An empty document to load stored or received bytes into, for reading only. */
export function emptyDocument<T>(): Automerge.Doc<T> {
  return Automerge.init<T>({ actor: readerActor })
}

/** A copy of a document to try changes on, for reading only. */
export function readerCopy<T>(doc: Automerge.Doc<T>): Automerge.Doc<T> {
  return Automerge.clone(doc, { actor: readerActor })
}

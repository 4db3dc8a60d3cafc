import * as Automerge from '@automerge/automerge'
import type { FieldValue } from '../Schema.ts'
import { ChangeGraph } from './ChangeGraph.ts'
import { skeletonMessage } from './rowSkeleton.ts'
import { readChangeMetadata, type ChangeKind } from './ChangeMetadata.ts'
import { isMetaKey, readStoredValue, type RowDocument } from './RowDocument.ts'

/** One field a change wrote, with the value before and after it. */
export interface FieldChange {
  readonly field: string
  readonly from: FieldValue
  readonly to: FieldValue
}

/** One change of a row: who, when, what kind, which fields. */
export interface HistoryEvent {
  readonly user: string
  readonly device: string
  /** Milliseconds since the epoch on the writing device's clock. */
  readonly time: number
  readonly kind: ChangeKind
  /** The change hash, unique across devices. */
  readonly hash: string
  readonly fields: readonly FieldChange[]
  /** Whether the change set or cleared the tombstone. */
  readonly deleted?: boolean
}

function read(doc: Automerge.Doc<RowDocument>, field: string): FieldValue {
  return readStoredValue(doc[field]) ?? null
}

/**
 * Derives a row's history from its document's changes, in causal order. Each change is compared
 * with the state it was made on (its dependencies), so concurrent changes each show what they
 * did from their author's point of view.
 * @param doc - the row document
 */
export function rowHistory(doc: Automerge.Doc<RowDocument>): HistoryEvent[] {
  const changes = new ChangeGraph(doc).changes.filter(
    (change) => change.message !== skeletonMessage,
  )
  return changes.map((change) => {
    const before = Automerge.view(doc, change.deps)
    const after = Automerge.view(doc, [change.hash])
    const written = new Set<string>()
    for (const op of change.ops) {
      if (op.obj === '_root') written.add(op.key)
    }
    const textFields = Object.keys(after).filter(
      (key) => typeof after[key] === 'string' && before[key] !== after[key],
    )
    for (const field of textFields) written.add(field)
    const fields = [...written]
      .filter((field) => !isMetaKey(field))
      .sort()
      .map((field) => ({ field, from: read(before, field), to: read(after, field) }))
    const metadata = readChangeMetadata(change)
    return {
      user: metadata.user,
      device: metadata.device,
      time: metadata.time,
      kind: metadata.kind,
      hash: change.hash,
      fields,
      ...(written.has('_deleted') ? { deleted: after._deleted === true } : {}),
    }
  })
}

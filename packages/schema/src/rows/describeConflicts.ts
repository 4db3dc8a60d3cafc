import type * as Automerge from '@automerge/automerge'
import type { FieldValue } from '../Schema.ts'
import { ChangeGraph } from './ChangeGraph.ts'
import { readChangeMetadata } from './ChangeMetadata.ts'
import { concurrentValues, editsConcurrentWithDelete } from './projectRow.ts'
import { isMetaKey, type RowDocument } from './RowDocument.ts'
import type { RowProjection } from './RowProjection.ts'

/** Who wrote something and when. */
export interface Writer {
  readonly user: string
  readonly device: string
  /** Milliseconds since the epoch on the writing device's clock. */
  readonly time: number
}

/** One of the concurrent values of a flagged field. */
export interface ConflictValue extends Writer {
  readonly value: FieldValue
  /** Whether this is the value every device shows until someone resolves the conflict. */
  readonly current: boolean
}

/** A field with the `flag` policy that holds concurrent values. */
export interface FieldConflict {
  readonly kind: 'field'
  readonly table: string
  readonly id: string
  readonly field: string
  /** Every concurrent value, in the same order on every device. */
  readonly values: readonly ConflictValue[]
}

/** A delete concurrent with edits, in a table whose delete policy is `flag`. */
export interface DeleteConflict {
  readonly kind: 'delete'
  readonly table: string
  readonly id: string
  /** The row's values, edits included. */
  readonly values: Readonly<Record<string, FieldValue>>
  readonly edits: ReadonlyArray<Writer & { readonly fields: readonly string[] }>
}

/** A conflict waiting for a person. */
export type Conflict = FieldConflict | DeleteConflict

function writerOf(change: Automerge.DecodedChange | undefined): Writer {
  if (!change) return { user: 'unknown', device: 'unknown', time: 0 }
  const { user, device, time } = readChangeMetadata(change)
  return { user, device, time }
}

/**
 * Of two operation ids (`counter@actor`), the one Automerge shows as a register's value:
 * the higher counter, then the greater actor.
 */
function laterOperation(a: string, b: string): string {
  const [counterA, actorA = ''] = a.split('@')
  const [counterB, actorB = ''] = b.split('@')
  const difference = Number(counterA) - Number(counterB)
  return difference > 0 || (difference === 0 && actorA > actorB) ? a : b
}

/**
 * Describes the conflicts of one row: every flagged field with its concurrent values and their
 * writers, and a delete conflict when there is one.
 * @param projection - the row's projection (names the flagged fields)
 * @param doc - the row document
 */
export function describeConflicts(
  projection: RowProjection,
  doc: Automerge.Doc<RowDocument>,
): Conflict[] {
  const graph = new ChangeGraph(doc)
  const conflicts: Conflict[] = []
  if (projection.deleteConflict) {
    conflicts.push({
      kind: 'delete',
      table: projection.table,
      id: projection.id,
      values: projection.values,
      edits: editsConcurrentWithDelete(doc).map((change) => ({
        ...writerOf(change),
        fields: [
          ...new Set(
            change.ops.filter((op) => op.obj === '_root' && !isMetaKey(op.key)).map((op) => op.key),
          ),
        ].sort(),
      })),
    })
  }
  if (projection.deleted) return conflicts
  for (const field of projection.flagged) {
    const values = concurrentValues(doc, field)
    if (values.length === 0) continue
    const winner = values.map(([opId]) => opId).reduce(laterOperation)
    conflicts.push({
      kind: 'field',
      table: projection.table,
      id: projection.id,
      field,
      values: values.map(([opId, value]) => ({
        ...writerOf(graph.changeOfOperation(opId)),
        value: value ?? null,
        current: opId === winner,
      })),
    })
  }
  return conflicts
}

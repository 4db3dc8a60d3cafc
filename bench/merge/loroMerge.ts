import { LoroDoc, type LoroCounter, type LoroText } from 'loro-crdt'
import { repeat, type Measurement } from '../measure.ts'
import type { MeasureOptions } from '../Scenario.ts'
import { createLoroRow, loroFieldValue, using, withLoroRow } from '../rows/loroRow.ts'
import {
  bytesOf,
  checkMerged,
  counterEdit,
  fieldOfPolicy,
  isEdited,
  mergeCase,
  registerEdit,
  sampleRows,
  textEdit,
  type MergeFixture,
  type MergeWorkload,
} from './workload.ts'

// Replica 0 stores snapshots; replicas send updates (the operation log without a state snapshot).

function editRow(doc: LoroDoc, workload: MergeWorkload, replica: number, index: number): void {
  withLoroRow(doc, (row) => {
    switch (workload.policy) {
      case 'merge':
      case 'flag':
        row.set(fieldOfPolicy[workload.policy], registerEdit(workload.policy, replica, index))
        return
      case 'text':
        using(row.get('notes') as LoroText, (text) => text.insert(text.length, textEdit(replica)))
        return
      case 'counter':
        using(row.get('visits') as LoroCounter, (counter) =>
          counter.increment(counterEdit(replica)),
        )
        return
    }
  })
  doc.commit()
}

/**
 * Builds the Loro replicas of a merge case, row by row: replica 0 creates the row, the others
 * import its snapshot, then every replica makes its concurrent edit.
 * @param workload - the case
 * @returns replica 0's snapshot and every other replica's updates, per row
 */
export function buildLoroFixture(workload: MergeWorkload): MergeFixture {
  const stored: Uint8Array[] = []
  const received = Array.from({ length: workload.replicas - 1 }, (): Uint8Array[] => [])
  for (let index = 0; index < workload.rows; index++) {
    const first = createLoroRow(index)
    const snapshot = first.export({ mode: 'snapshot' })
    const replicas = [first]
    for (let replica = 1; replica < workload.replicas; replica++) {
      replicas.push(LoroDoc.fromSnapshot(snapshot))
    }
    replicas.forEach((doc, replica) => {
      if (isEdited(workload, index)) editRow(doc, workload, replica, index)
      if (replica === 0) stored.push(doc.export({ mode: 'snapshot' }))
      else received[replica - 1]!.push(doc.export({ mode: 'update' }))
      doc.free()
    })
  }
  return { stored, received }
}

/**
 * Measures Loro doing the merge: load replica 0's snapshot, import each other replica's
 * updates, read the merged field, export a snapshot to store.
 * @param workload - the case
 * @param fixture - from {@link buildLoroFixture}
 * @param options - runs and progress
 * @throws {Error} when a merged row is not what the edits give
 */
export function measureLoroMerge(
  workload: MergeWorkload,
  fixture: MergeFixture,
  options: MeasureOptions,
): Promise<Measurement[]> {
  const wire = bytesOf(fixture.received) / workload.rows
  return repeat(
    { system: 'loro', benchCase: mergeCase(workload), ...options },
    async ({ rows, warmUp, time, record }) => {
      const saved: Uint8Array[] = []
      await time('merge', () => {
        for (let index = 0; index < rows; index++) {
          const doc = LoroDoc.fromSnapshot(fixture.stored[index]!)
          for (const copies of fixture.received) doc.import(copies[index]!)
          loroFieldValue(doc, fieldOfPolicy[workload.policy])
          saved.push(doc.export({ mode: 'snapshot' }))
          doc.free()
        }
      })
      if (warmUp) return
      for (const index of sampleRows(rows)) {
        const doc = LoroDoc.fromSnapshot(saved[index]!)
        checkMerged('Loro', workload, index, loroFieldValue(doc, fieldOfPolicy[workload.policy]))
        doc.free()
      }
      record('merge', { stored: bytesOf([saved]) / workload.rows, wire })
    },
  )
}

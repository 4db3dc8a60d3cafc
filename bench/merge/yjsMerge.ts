import * as Y from 'yjs'
import { repeat, type Measurement } from '../measure.ts'
import type { MeasureOptions } from '../Scenario.ts'
import { createYjsRow, yjsFieldValue, yjsRow } from '../rows/yjsRow.ts'
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

function editRow(doc: Y.Doc, workload: MergeWorkload, replica: number, index: number): void {
  const row = yjsRow(doc)
  switch (workload.policy) {
    case 'merge':
    case 'flag':
      row.set(fieldOfPolicy[workload.policy], registerEdit(workload.policy, replica, index))
      return
    case 'text': {
      const text = row.get('notes') as Y.Text
      text.insert(text.length, textEdit(replica))
      return
    }
    case 'counter': {
      const visits = row.get('visits') as Y.Map<number>
      visits.set(String(replica), (visits.get(String(replica)) ?? 0) + counterEdit(replica))
      return
    }
  }
}

/**
 * Builds the Yjs replicas of a merge case, row by row: replica 0 creates the row, the others
 * apply its state, then every replica makes its concurrent edit.
 * @param workload - the case
 * @returns replica 0's stored state and every other replica's full state update, per row
 */
export function buildYjsFixture(workload: MergeWorkload): MergeFixture {
  const stored: Uint8Array[] = []
  const received = Array.from({ length: workload.replicas - 1 }, (): Uint8Array[] => [])
  for (let index = 0; index < workload.rows; index++) {
    const first = createYjsRow(index)
    const state = Y.encodeStateAsUpdate(first)
    const replicas = [first]
    for (let replica = 1; replica < workload.replicas; replica++) {
      const doc = new Y.Doc()
      Y.applyUpdate(doc, state)
      replicas.push(doc)
    }
    replicas.forEach((doc, replica) => {
      if (isEdited(workload, index)) editRow(doc, workload, replica, index)
      const update = Y.encodeStateAsUpdate(doc)
      if (replica === 0) stored.push(update)
      else received[replica - 1]!.push(update)
      doc.destroy()
    })
  }
  return { stored, received }
}

/**
 * Measures Yjs doing the merge: load replica 0's row (`applyUpdate` into a new Y.Doc), apply
 * each other replica's update, read the merged field, encode the state to store.
 * @param workload - the case
 * @param fixture - from {@link buildYjsFixture}
 * @param options - runs and progress
 * @throws {Error} when a merged row is not what the edits give
 */
export function measureYjsMerge(
  workload: MergeWorkload,
  fixture: MergeFixture,
  options: MeasureOptions,
): Promise<Measurement[]> {
  const wire = bytesOf(fixture.received) / workload.rows
  return repeat(
    { system: 'yjs', benchCase: mergeCase(workload), ...options },
    async ({ rows, warmUp, time, record }) => {
      const saved: Uint8Array[] = []
      await time('merge', () => {
        for (let index = 0; index < rows; index++) {
          const doc = new Y.Doc()
          Y.applyUpdate(doc, fixture.stored[index]!)
          for (const copies of fixture.received) Y.applyUpdate(doc, copies[index]!)
          yjsFieldValue(doc, fieldOfPolicy[workload.policy])
          saved.push(Y.encodeStateAsUpdate(doc))
          doc.destroy()
        }
      })
      if (warmUp) return
      for (const index of sampleRows(rows)) {
        const doc = new Y.Doc()
        Y.applyUpdate(doc, saved[index]!)
        checkMerged('Yjs', workload, index, yjsFieldValue(doc, fieldOfPolicy[workload.policy]))
        doc.destroy()
      }
      record('merge', { stored: bytesOf([saved]) / workload.rows, wire })
    },
  )
}

import * as Automerge from '@automerge/automerge'
import { repeat, type Measurement } from '../measure.ts'
import { automergeFieldValue, type AutomergeRow } from '../rows/automergeRow.ts'
import type { MeasureOptions } from '../Scenario.ts'
import {
  bytesOf,
  checkMerged,
  fieldOfPolicy,
  mergeCase,
  sampleRows,
  type MergeFixture,
  type MergeWorkload,
} from './workload.ts'

/**
 * Measures raw Automerge on the documents Rowsync's replicas exported: load replica 0's copy,
 * apply each other copy (`loadIncremental`), read the merged field (its conflicts for the flag
 * policy), save. No validation, no projection, no storage.
 * @param workload - the case
 * @param fixture - the Rowsync replicas' documents
 * @param options - runs and progress
 * @throws {Error} when a merged row is not what the edits give
 */
export function measureAutomergeMerge(
  workload: MergeWorkload,
  fixture: MergeFixture,
  options: MeasureOptions,
): Promise<Measurement[]> {
  const field = fieldOfPolicy[workload.policy]
  const wire = bytesOf(fixture.received) / workload.rows
  return repeat(
    { system: 'automerge', benchCase: mergeCase(workload), ...options },
    async ({ rows, warmUp, time, record }) => {
      const saved: Uint8Array[] = []
      await time('merge', () => {
        for (let index = 0; index < rows; index++) {
          let doc = Automerge.load<AutomergeRow>(fixture.stored[index]!)
          for (const copies of fixture.received)
            doc = Automerge.loadIncremental(doc, copies[index]!)
          if (workload.policy === 'flag') Automerge.getConflicts(doc, field)
          automergeFieldValue(doc, field)
          saved.push(Automerge.save(doc))
          Automerge.free(doc)
        }
      })
      if (warmUp) return
      for (const index of sampleRows(rows)) {
        const doc = Automerge.load<AutomergeRow>(saved[index]!)
        checkMerged('Automerge', workload, index, automergeFieldValue(doc, field))
        Automerge.free(doc)
      }
      record('merge', { stored: bytesOf([saved]) / workload.rows, wire })
    },
  )
}

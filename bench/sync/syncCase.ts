import type { BenchCase, CaseOptions, PreparedCase } from '../Scenario.ts'
import type { SystemId } from '../systems.ts'
import { seedRelay } from './seedRelay.ts'
import { stockDocuments, type StockDocument } from './syncFixtures.ts'

/** The input of one system on one sync case: the same rows, as each system holds them. */
export interface SyncFixture {
  /** Rowsync: a seeded relay data directory; empty when the case starts from nothing. */
  readonly relayDirectory: string
  /** Rowsync: the LMDB directory of the device that created the rows. */
  readonly deviceDirectory: string
  /** Rowsync: that device's user. */
  readonly user: string
  /** Rowsync: the port that device reached the relay at (see `SeededRelay.relayPort`). */
  readonly relayPort: number
  /** Stock automerge-repo: the rows as saved plain documents, one per row. */
  readonly documents: readonly StockDocument[]
}

/** The systems of every sync scenario. */
export const syncSystems: readonly SystemId[] = ['rowsync-relay', 'automerge-repo']

/** Cases at the suite's row counts (or `--rows`), without parameters. */
export function rowCases(
  counts: Record<CaseOptions['suite'], number[]>,
  { suite, rows }: CaseOptions,
): BenchCase[] {
  return (rows === undefined ? counts[suite] : [rows]).map((count) => ({
    rows: count,
    parameters: {},
  }))
}

/**
 * Prepares a sync case holding `rows` work orders, untimed: a relay seeded through sync for
 * Rowsync, the same rows as plain documents for stock automerge-repo.
 * @param rows - rows on the server before the operation; 0 for none
 */
export async function prepareSyncCase(
  rows: number,
  systems: readonly SystemId[],
): Promise<PreparedCase<SyncFixture>> {
  const seeded = rows > 0 && systems.includes('rowsync-relay') ? await seedRelay(rows) : undefined
  const documents = systems.includes('automerge-repo') ? stockDocuments(rows) : []
  const fixtures = new Map<SystemId, SyncFixture>()
  for (const system of systems) {
    fixtures.set(system, {
      relayDirectory: seeded?.relayDirectory ?? '',
      deviceDirectory: seeded?.deviceDirectory ?? '',
      user: seeded?.user ?? '',
      relayPort: seeded?.relayPort ?? 0,
      documents: system === 'automerge-repo' ? documents : [],
    })
  }
  return { fixtures, dispose: () => seeded?.dispose() ?? Promise.resolve() }
}

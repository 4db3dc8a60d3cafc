import type { Repo } from '@automerge/automerge-repo/slim'
import type { Feed } from '../feed/Feed.ts'
import type { RelayMetrics } from '../http/RelayMetrics.ts'
import type { RelayNetworkAdapter } from './RelayNetworkAdapter.ts'

/** The relay parts {@link recordNetworkMetrics} reads. */
export interface NetworkMetricsSources {
  readonly network: RelayNetworkAdapter
  readonly repo: Repo
  readonly feed: Feed
}

/**
 * Makes the relay's metrics read the sync side at every scrape: `connectedPeers` (joined
 * peers), `loadedDocuments` (the Repo's handles), `syncMessages` and `syncBytes` by direction
 * (every frame received, valid or not, and every frame sent, as the adapter's `stats()` counts
 * them), `feedSequence`, and `storedRows` (the feed holds one entry per row; they are counted
 * again only when the feed has grown since the last count, which reads the whole feed once).
 * @param metrics - the relay's metrics
 * @param sources - see {@link NetworkMetricsSources}
 */
export function recordNetworkMetrics(metrics: RelayMetrics, sources: NetworkMetricsSources): void {
  const { network, repo, feed } = sources
  let counted: { through: number; rows: Promise<number> } | undefined
  const countRows = async (through: number) => {
    const entries = feed.entries(through)
    let rows = 0
    while (!(await entries.next()).done) rows += 1
    return rows
  }
  metrics.observe({
    connectedPeers: () => network.stats().peers,
    loadedDocuments: () => Object.keys(repo.handles).length,
    traffic: () => network.stats(),
    feedSequence: () => feed.last,
    storedRows: () => {
      const through = feed.last
      if (counted?.through !== through) counted = { through, rows: countRows(through) }
      return counted.rows
    },
  })
}

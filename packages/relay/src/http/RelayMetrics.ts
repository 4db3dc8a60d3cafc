import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

/** Options of {@link RelayMetrics}. */
export interface RelayMetricsOptions {
  /** Prefix of the relay's own metric names; defaults to `rowsync_relay_`. */
  prefix?: string
  /** Whether to add Node's process metrics (CPU, memory, event loop, GC); defaults to true. */
  defaultMetrics?: boolean
}

/** Label values of `direction`: messages received from peers, or sent to them. */
export type SyncDirection = 'in' | 'out'

/**
 * The relay's Prometheus metrics, on a registry of their own (never prom-client's global
 * one, so several relays in one process, as in tests, do not collide). Relay parts update
 * the fields; `GET /metrics` serves {@link RelayMetrics.registry}. Label values must come
 * from small fixed sets (never user, peer or document ids) to keep series bounded.
 */
export class RelayMetrics {
  /** The registry holding every metric below, plus the process metrics. */
  readonly registry: Registry
  /** Peers currently connected over WebSocket. */
  readonly connectedPeers: Gauge
  /** Rows held in storage. */
  readonly storedRows: Gauge
  /** Row documents currently loaded in memory. */
  readonly loadedDocuments: Gauge
  /** Sync messages, labelled `direction` (`in` or `out`). */
  readonly syncMessages: Counter<'direction'>
  /** Bytes of sync messages, labelled `direction` (`in` or `out`). */
  readonly syncBytes: Counter<'direction'>
  /** Changes refused (not replicated), labelled `reason` (for example `schema`, `role`). */
  readonly refusedChanges: Counter<'reason'>
  /** The latest sequence number of the relay's change feed. */
  readonly feedSequence: Gauge
  /** HTTP request durations in seconds, labelled `method`, `route` (pattern) and `status`. */
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>

  /**
   * Creates the metrics on a fresh registry.
   * @param options - see {@link RelayMetricsOptions}
   */
  constructor(options: RelayMetricsOptions = {}) {
    const prefix = options.prefix ?? 'rowsync_relay_'
    const registry = new Registry()
    const registers = [registry]
    this.registry = registry
    this.connectedPeers = new Gauge({
      name: `${prefix}connected_peers`,
      help: 'Peers currently connected over WebSocket.',
      registers,
    })
    this.storedRows = new Gauge({
      name: `${prefix}stored_rows`,
      help: 'Rows held in storage.',
      registers,
    })
    this.loadedDocuments = new Gauge({
      name: `${prefix}loaded_documents`,
      help: 'Row documents currently loaded in memory.',
      registers,
    })
    this.syncMessages = new Counter({
      name: `${prefix}sync_messages_total`,
      help: 'Sync messages received from (in) or sent to (out) peers.',
      labelNames: ['direction'],
      registers,
    })
    this.syncBytes = new Counter({
      name: `${prefix}sync_bytes_total`,
      help: 'Bytes of sync messages received from (in) or sent to (out) peers.',
      labelNames: ['direction'],
      registers,
    })
    this.refusedChanges = new Counter({
      name: `${prefix}refused_changes_total`,
      help: 'Changes refused and not replicated, by reason.',
      labelNames: ['reason'],
      registers,
    })
    this.feedSequence = new Gauge({
      name: `${prefix}feed_sequence`,
      help: 'Latest sequence number of the change feed.',
      registers,
    })
    this.httpRequestDuration = new Histogram({
      name: `${prefix}http_request_duration_seconds`,
      help: 'HTTP request durations in seconds, by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    })
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry })
  }
}

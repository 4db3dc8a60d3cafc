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
 * Label values of `reason` on refused messages: an unreadable sync message, changes refused
 * (schema or permission), a request over `limits.unknownDocumentsPerMinute`, or an error while
 * checking the message.
 */
export type RefusalReason = 'unreadable' | 'changes' | 'unknown_documents' | 'internal'

/** Sync traffic since the relay started, as {@link RelayMetricsSource.traffic} reports it. */
export interface SyncTraffic {
  readonly messagesIn: number
  readonly messagesOut: number
  readonly bytesIn: number
  readonly bytesOut: number
}

/**
 * Where {@link RelayMetrics.observe} reads values at each scrape; every one is optional and a
 * metric without a source keeps the value set on it.
 */
export interface RelayMetricsSource {
  /** Peers connected now. */
  readonly connectedPeers?: () => number
  /** Row documents loaded in memory now. */
  readonly loadedDocuments?: () => number
  /** Sync messages and bytes since start; the counters grow by what changed since the last scrape. */
  readonly traffic?: () => SyncTraffic
  /** Rows held in storage. */
  readonly storedRows?: () => Promise<number>
  /** The feed's latest sequence number. */
  readonly feedSequence?: () => number
}

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
  /** Messages refused (never reaching the Repo), labelled `reason` (see {@link RefusalReason}). */
  readonly refusedMessages: Counter<'reason'>
  /** The latest sequence number of the relay's change feed. */
  readonly feedSequence: Gauge
  /** HTTP request durations in seconds, labelled `method`, `route` (pattern) and `status`. */
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>
  #source: RelayMetricsSource = {}
  #traffic: SyncTraffic = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 }

  /**
   * Creates the metrics on a fresh registry.
   * @param options - see {@link RelayMetricsOptions}
   */
  constructor(options: RelayMetricsOptions = {}) {
    const prefix = options.prefix ?? 'rowsync_relay_'
    const registry = new Registry()
    const registers = [registry]
    this.registry = registry
    // Sources are read at scrape time (see observe): no timer, and never stale.
    const source = () => this.#source
    this.connectedPeers = new Gauge({
      name: `${prefix}connected_peers`,
      help: 'Peers currently connected over WebSocket.',
      registers,
      collect() {
        const value = source().connectedPeers
        if (value) this.set(value())
      },
    })
    this.storedRows = new Gauge({
      name: `${prefix}stored_rows`,
      help: 'Rows held in storage.',
      registers,
      async collect() {
        const value = source().storedRows
        if (value) this.set(await value())
      },
    })
    this.loadedDocuments = new Gauge({
      name: `${prefix}loaded_documents`,
      help: 'Row documents currently loaded in memory.',
      registers,
      collect() {
        const value = source().loadedDocuments
        if (value) this.set(value())
      },
    })
    this.syncMessages = new Counter({
      name: `${prefix}sync_messages_total`,
      help: 'Sync messages received from (in) or sent to (out) peers.',
      labelNames: ['direction'],
      registers,
      collect: () => this.#recordTraffic(),
    })
    this.syncBytes = new Counter({
      name: `${prefix}sync_bytes_total`,
      help: 'Bytes of sync messages received from (in) or sent to (out) peers.',
      labelNames: ['direction'],
      registers,
      collect: () => this.#recordTraffic(),
    })
    this.refusedMessages = new Counter({
      name: `${prefix}refused_messages_total`,
      help: 'Messages from peers refused before the relay applied them, by reason.',
      labelNames: ['reason'],
      registers,
    })
    this.feedSequence = new Gauge({
      name: `${prefix}feed_sequence`,
      help: 'Latest sequence number of the change feed.',
      registers,
      collect() {
        const value = source().feedSequence
        if (value) this.set(value())
      },
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

  /**
   * Reads the given metrics from the relay's parts at every scrape, from now on; a later call
   * adds to (or replaces) the sources of earlier ones.
   * @param source - see {@link RelayMetricsSource}
   */
  observe(source: RelayMetricsSource): void {
    this.#source = { ...this.#source, ...source }
  }

  /** Counters only grow: adds the traffic since the last scrape. */
  #recordTraffic(): void {
    const traffic = this.#source.traffic?.()
    if (traffic === undefined) return
    const recorded = this.#traffic
    this.syncMessages.inc({ direction: 'in' }, traffic.messagesIn - recorded.messagesIn)
    this.syncMessages.inc({ direction: 'out' }, traffic.messagesOut - recorded.messagesOut)
    this.syncBytes.inc({ direction: 'in' }, traffic.bytesIn - recorded.bytesIn)
    this.syncBytes.inc({ direction: 'out' }, traffic.bytesOut - recorded.bytesOut)
    this.#traffic = traffic
  }
}

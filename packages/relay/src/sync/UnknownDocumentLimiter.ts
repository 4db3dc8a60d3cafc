/** Options of {@link UnknownDocumentLimiter}. */
export interface UnknownDocumentLimiterOptions {
  /**
   * Distinct unknown document ids one peer may ask about per window
   * (`limits.unknownDocumentsPerMinute`).
   */
  readonly perWindow: number
  /** The sliding window in milliseconds; default 60,000. */
  readonly windowMs?: number
}

/**
 * Bounds, per peer, how many document ids the relay does not hold a peer may ask about in a
 * sliding window. Each such request costs the relay a storage read; one that reaches the Repo
 * leaves a handle until DocumentEvictor removes it, plus a few hundred bytes automerge-repo
 * never frees (about 29 KB per id without eviction). The integrator asks {@link allow} for
 * requests about ids the relay does not hold, and refuses the message when it says no.
 *
 * Counts distinct ids: the messages of one handshake about the same id cost once per window.
 * State per peer is at most `perWindow` ids, kept until {@link forget}, which the integrator
 * calls when the peer disconnects. The clock is the caller's (`now` in milliseconds, any
 * monotonic origin).
 */
export class UnknownDocumentLimiter {
  readonly #perWindow: number
  readonly #windowMs: number
  /** Per peer: the unknown ids allowed in the window, with when each was first allowed. */
  readonly #peers = new Map<string, Map<string, number>>()

  /**
   * @param options - see {@link UnknownDocumentLimiterOptions}
   * @throws Error if `perWindow` is negative or `windowMs` is not positive
   */
  constructor(options: UnknownDocumentLimiterOptions) {
    const windowMs = options.windowMs ?? 60_000
    if (!(options.perWindow >= 0)) {
      throw new Error(
        `UnknownDocumentLimiter: perWindow must not be negative: ${options.perWindow}`,
      )
    }
    if (!(windowMs > 0)) {
      throw new Error(`UnknownDocumentLimiter: windowMs must be positive: ${windowMs}`)
    }
    this.#perWindow = Math.floor(options.perWindow)
    this.#windowMs = windowMs
  }

  /**
   * Whether a peer may ask about a document id the relay does not hold: yes while it has asked
   * about fewer than `perWindow` other unknown ids in the window (this one is then counted), or
   * about this one already.
   * @param peerId - the asking peer
   * @param documentId - the unknown document
   * @param now - the time in milliseconds
   */
  allow(peerId: string, documentId: string, now: number): boolean {
    let allowed = this.#peers.get(peerId)
    if (allowed === undefined) {
      allowed = new Map()
      this.#peers.set(peerId, allowed)
    }
    // Oldest first (insertion order): drop the ids allowed a window ago or earlier.
    for (const [id, allowedAt] of allowed) {
      if (now - allowedAt < this.#windowMs) break
      allowed.delete(id)
    }
    if (allowed.has(documentId)) return true
    if (allowed.size >= this.#perWindow) return false
    allowed.set(documentId, now)
    return true
  }

  /**
   * Drops everything known about a peer; call it when the peer disconnects.
   * @param peerId - the peer
   */
  forget(peerId: string): void {
    this.#peers.delete(peerId)
  }
}

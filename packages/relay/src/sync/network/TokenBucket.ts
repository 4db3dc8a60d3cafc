/**
 * A token bucket: holds up to one second's worth of tokens and refills continuously at
 * `ratePerSecond`. A cost larger than the whole bucket is admitted when the bucket is full
 * and leaves it in debt, so a single large frame is never refused forever while the average
 * rate still holds.
 */
export class TokenBucket {
  readonly #ratePerSecond: number
  readonly #now: () => number
  #tokens: number
  #updatedAt: number

  /**
   * @param ratePerSecond - refill rate and capacity; must be positive
   * @param now - clock in milliseconds (injected for tests)
   * @throws Error if the rate is not a positive finite number
   */
  constructor(ratePerSecond: number, now: () => number) {
    if (!(ratePerSecond > 0 && Number.isFinite(ratePerSecond))) {
      throw new Error(`TokenBucket: rate ${ratePerSecond} is not a positive finite number`)
    }
    this.#ratePerSecond = ratePerSecond
    this.#now = now
    this.#tokens = ratePerSecond
    this.#updatedAt = now()
  }

  /**
   * Takes `cost` tokens if the bucket holds them (or is full), and says whether it did.
   * @param cost - a non-negative number of tokens
   */
  take(cost: number): boolean {
    const now = this.#now()
    const elapsedSeconds = Math.max(0, now - this.#updatedAt) / 1000
    this.#updatedAt = now
    this.#tokens = Math.min(
      this.#ratePerSecond,
      this.#tokens + elapsedSeconds * this.#ratePerSecond,
    )
    if (this.#tokens < Math.min(cost, this.#ratePerSecond)) return false
    this.#tokens -= cost
    return true
  }
}

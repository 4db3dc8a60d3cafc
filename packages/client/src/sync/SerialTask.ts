/**
 * Runs an async task one at a time: a run asked for while one is under way does not start a
 * second one beside it, but makes the running one go once more when it ends (however many
 * times it was asked), so work that arrived meanwhile is not left behind. When a round
 * throws, the run ends with that error and the rounds asked for meanwhile end with it: the
 * caller retries (the sync engine schedules a retry on every failure).
 */
export class SerialTask {
  readonly #task: () => Promise<void>
  readonly #stopped: () => boolean
  #running: Promise<void> | undefined
  #again = false

  /**
   * @param task - the work; it reads what to do when it starts
   * @param stopped - when true, no further round starts
   */
  constructor(task: () => Promise<void>, stopped: () => boolean) {
    this.#task = task
    this.#stopped = stopped
  }

  /** The run under way, if any. */
  get running(): Promise<void> | undefined {
    return this.#running
  }

  /** Runs the task, or asks the run under way for one more round; resolves when it ends. */
  run(): Promise<void> {
    if (this.#running) {
      this.#again = true
      return this.#running
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false
          await this.#task()
        } while (this.#again && !this.#stopped())
      } finally {
        this.#running = undefined
      }
    })()
    return this.#running
  }
}

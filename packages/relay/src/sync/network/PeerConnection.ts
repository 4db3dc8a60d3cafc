import type { PeerId, RepoMessage } from '@automerge/automerge-repo/slim'
import type { Logger } from 'pino'
import type { WebSocket } from 'ws'
import type { RelayPeerUser } from './RelayPeerUser.ts'
import { TokenBucket } from './TokenBucket.ts'

/** Limits of one connection, from the adapter's options. */
export interface PeerConnectionLimits {
  readonly messagesPerSecond: number
  readonly bytesPerSecond: number
  readonly now: () => number
}

/**
 * The relay's state of one accepted socket: whose it is, which peer id it joined as, its
 * rate buckets, keepalive and violation counters, and the messages waiting for inspect.
 * The adapter drives it; this class only holds and updates the state.
 */
export class PeerConnection {
  readonly socket: WebSocket
  readonly user: RelayPeerUser
  log: Logger
  /** Set by a successful join; undefined until then. */
  peerId: PeerId | undefined
  closed = false
  violations = 0
  /** Pings sent since the last sign of life (a pong or any frame). */
  missedPongs = 0
  awaitingPong = false
  /** Valid messages waiting for inspect, oldest first; the head is being inspected. */
  readonly queue: RepoMessage[] = []
  draining = false
  joinTimer: ReturnType<typeof setTimeout> | undefined
  readonly #messages: TokenBucket
  readonly #bytes: TokenBucket

  constructor(socket: WebSocket, user: RelayPeerUser, log: Logger, limits: PeerConnectionLimits) {
    this.socket = socket
    this.user = user
    this.log = log
    this.#messages = new TokenBucket(limits.messagesPerSecond, limits.now)
    this.#bytes = new TokenBucket(limits.bytesPerSecond, limits.now)
  }

  /** Charges one frame of `size` bytes to the rate buckets; false if over either rate. */
  admit(size: number): boolean {
    // Both are charged even when the first refuses: the connection closes either way.
    const messageAdmitted = this.#messages.take(1)
    const bytesAdmitted = this.#bytes.take(size)
    return messageAdmitted && bytesAdmitted
  }

  /** Records a sign of life: a pong or any frame. */
  markAlive(): void {
    this.missedPongs = 0
    this.awaitingPong = false
  }
}

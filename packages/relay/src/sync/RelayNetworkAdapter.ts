import { Automerge, NetworkAdapter, cbor } from '@automerge/automerge-repo/slim'
import type {
  DocumentId,
  Message,
  NetworkAdapterEvents,
  PeerId,
  PeerMetadata,
  RepoMessage,
} from '@automerge/automerge-repo/slim'
import { ProtocolV1 } from '@automerge/automerge-repo-network-websocket'
import type { EventEmitter } from 'eventemitter3'
import type { Logger } from 'pino'
import type { RawData, WebSocket } from 'ws'
import { PeerConnection } from './network/PeerConnection.ts'
import { RelayCloseCode } from './network/RelayCloseCode.ts'
import type { RelayPeerUser } from './network/RelayPeerUser.ts'
import { parseClientMessage } from './network/parseClientMessage.ts'
import type { JoinMessage, RelayPeerMetadata } from './network/parseClientMessage.ts'
import { RELAY_NETWORK_DEFAULTS } from './network/relayNetworkDefaults.ts'

/** The peer an inbound message came from, as `inspect` and the events see it. */
export interface RelayPeer {
  readonly peerId: PeerId
  readonly user: RelayPeerUser
}

/** A joined peer, as {@link RelayNetworkAdapter.joinedPeers} lists it. */
export interface JoinedPeer extends RelayPeer {
  /** What the peer declared in its join (validated; `rowsync` marks a Rowsync device). */
  readonly peerMetadata: RelayPeerMetadata
}

/** A message of the relay's own, beside automerge-repo's; see {@link RelayNetworkAdapter.sendTo}. */
export interface RelayOwnMessage {
  readonly type: string
  readonly senderId: PeerId
  readonly targetId: PeerId
}

/** What `inspect` decides about one message: deliver it to the Repo, or refuse it. */
export type InspectVerdict = 'pass' | { readonly refuse: string }

/** Options of {@link RelayNetworkAdapter}; every limit has a default. */
export interface RelayNetworkAdapterOptions {
  /** Where the adapter logs (it never writes to the console). */
  readonly logger: Logger
  /**
   * Called for every valid inbound message before the Repo sees it, one at a time per peer
   * in arrival order (the Automerge sync protocol needs an in-order stream). A refusal
   * drops the message and sends the peer an `error` message with the reason. A rejected
   * promise counts as the refusal 'internal error'. Default: every message passes.
   */
  readonly inspect?: (peer: RelayPeer, message: RepoMessage) => Promise<InspectVerdict>
  /** Largest frame accepted, in bytes; larger ones close with 1009. Default 8 MiB. */
  readonly maxFrameBytes?: number
  /** Sustained frames per second per connection (bucket of one second); default 200. */
  readonly messagesPerSecondPerPeer?: number
  /** Sustained bytes per second per connection (bucket of one second); default 4 MiB. */
  readonly bytesPerSecondPerPeer?: number
  /** Peers (joined sockets) one user may have at once; default 10. */
  readonly peersPerUser?: number
  /** Open sockets, joined or not; default 10,000. */
  readonly maxConnections?: number
  /** Malformed or misaddressed frames tolerated per connection before closing; default 10. */
  readonly maxViolationsPerPeer?: number
  /**
   * Messages waiting for `inspect` per peer before the adapter stops reading the socket
   * (TCP backpressure). Frames ws has already read still arrive; above this plus
   * messagesPerSecondPerPeer waiting, it closes with 4029. Default 256.
   */
  readonly maxQueuedMessagesPerPeer?: number
  /** Bytes waiting to be sent to one peer before it is closed (4031); default 64 MiB. */
  readonly maxSendBufferBytes?: number
  /** Time a socket has to send `join`; default 10 s. */
  readonly joinTimeoutMs?: number
  /** Ping interval; default 5 s. */
  readonly keepAliveIntervalMs?: number
  /** Consecutive unanswered pings after which a socket is terminated; default 3. */
  readonly missedPongsBeforeTerminate?: number
  /** Clock in milliseconds for the rate buckets; default `performance.now`. */
  readonly now?: () => number
}

/** Emitted as `refused` when `inspect` refuses a message. */
export interface RefusedEvent extends RelayPeer {
  readonly documentId: DocumentId | undefined
  readonly reason: string
}

/** Emitted as `dropped` for every frame dropped as malformed or misaddressed. */
export interface DroppedEvent {
  readonly peerId: PeerId | undefined
  readonly user: RelayPeerUser
  readonly reason: string
}

/** Emitted as `connection-closed` whenever the adapter lets go of a socket. */
export interface ConnectionClosedEvent {
  readonly peerId: PeerId | undefined
  readonly user: RelayPeerUser
  /** The close code (see RelayCloseCode); 1006 when the socket was terminated. */
  readonly code: number
  readonly reason: string
}

/** Events of {@link RelayNetworkAdapter}: the Repo's, plus three for metrics and logs. */
export interface RelayNetworkAdapterEvents extends NetworkAdapterEvents {
  refused: (event: RefusedEvent) => void
  dropped: (event: DroppedEvent) => void
  'connection-closed': (event: ConnectionClosedEvent) => void
}

/** Counters since the adapter was created, from {@link RelayNetworkAdapter.stats}. */
export interface RelayNetworkStats {
  /** Open sockets, joined or not. */
  readonly connections: number
  /** Joined peers. */
  readonly peers: number
  /** Frames received, valid or not. */
  readonly messagesIn: number
  readonly messagesOut: number
  readonly bytesIn: number
  readonly bytesOut: number
  /** Frames dropped as malformed or misaddressed. */
  readonly malformed: number
  /** Messages refused by `inspect`. */
  readonly refused: number
}

type Limits = Required<Omit<RelayNetworkAdapterOptions, 'logger' | 'inspect'>>

/** NetworkAdapter, typed with the relay's extra events (the same class at run time). */
const NetworkAdapterWithRelayEvents = NetworkAdapter as abstract new () => NetworkAdapter &
  EventEmitter<RelayNetworkAdapterEvents>

/**
 * The relay's server side of automerge-repo's WebSocket protocol (the one
 * `@automerge/automerge-repo-network-websocket` speaks: `join`, `peer`, `error`, then CBOR
 * repo messages), hardened for untrusted clients. The stock `WebSocketClientAdapter`
 * connects to it unchanged.
 *
 * The integrator runs the `ws` server (see relayWebSocketServerOptions), authenticates the
 * upgrade and hands each socket over with {@link RelayNetworkAdapter.accept}. Then:
 * - peer ids are bound to users: a join declaring a peer id connected for another user is
 *   refused (4003); for the same user it replaces the old socket (a reconnect); every later
 *   message must come from that peer id and be addressed to the relay;
 * - no frame crashes or stalls it: each is decoded and validated (see parseClientMessage),
 *   and anything else is logged, counted, dropped, and closes the socket after
 *   `maxViolationsPerPeer`;
 * - limits per connection (frames and bytes per second, frame size, send buffer, join
 *   time), per user (peers) and overall (connections) close with the codes of
 *   RelayCloseCode;
 * - `inspect` sees every valid message before the Repo, strictly in order per peer;
 * - keepalive pings every 5 s and terminates a socket only after 3 unanswered pings (a
 *   busy client answers late; the stock server dropped it after one).
 */
export class RelayNetworkAdapter extends NetworkAdapterWithRelayEvents {
  readonly #log: Logger
  readonly #inspect: RelayNetworkAdapterOptions['inspect']
  readonly #limits: Limits
  readonly #connections = new Set<PeerConnection>()
  readonly #peers = new Map<PeerId, PeerConnection>()
  readonly #peersByUser = new Map<string, Set<PeerConnection>>()
  readonly #metadata = new WeakMap<PeerConnection, RelayPeerMetadata>()
  #keepAlive: ReturnType<typeof setInterval> | undefined
  /** 'new' until the Repo connects the adapter, 'stopped' after it disconnects it. */
  #state: 'new' | 'connected' | 'stopped' = 'new'
  #markReady: () => void = () => undefined
  readonly #ready = new Promise<void>((resolve) => {
    this.#markReady = resolve
  })
  #isReady = false
  #counters = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, malformed: 0, refused: 0 }

  /**
   * @param options - see {@link RelayNetworkAdapterOptions}; limits default to
   *   RELAY_NETWORK_DEFAULTS
   * @throws Error if a limit is not a positive number
   */
  constructor(options: RelayNetworkAdapterOptions) {
    super()
    this.#log = options.logger.child({ component: 'RelayNetworkAdapter' })
    this.#inspect = options.inspect
    this.#limits = {
      ...RELAY_NETWORK_DEFAULTS,
      now: () => performance.now(),
      ...withoutUndefined(options),
    }
    for (const [name, value] of Object.entries(this.#limits)) {
      if (typeof value === 'number' && !(value > 0)) {
        throw new Error(`RelayNetworkAdapter: option ${name} must be positive, got ${value}`)
      }
    }
  }

  /** True once the Repo has connected the adapter (a server has no peers to wait for). */
  override isReady(): boolean {
    return this.#isReady
  }

  /** Resolves once the Repo has connected the adapter. */
  override whenReady(): Promise<void> {
    return this.#ready
  }

  /**
   * Called by the Repo with its peer id: starts keepalive and reads the sockets accepted
   * before it.
   */
  override connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    this.peerId = peerId
    this.peerMetadata = peerMetadata ?? {}
    const waiting = this.#state === 'new'
    this.#state = 'connected'
    if (!Automerge.isWasmInitialized()) {
      this.#log.warn('Automerge wasm is not initialized: every sync message will be refused')
    }
    clearInterval(this.#keepAlive)
    this.#keepAlive = setInterval(() => this.#checkKeepAlive(), this.#limits.keepAliveIntervalMs)
    this.#keepAlive.unref()
    if (waiting) for (const connection of this.#connections) connection.socket.resume()
    this.#isReady = true
    this.#markReady()
  }

  /** Called by the Repo on shutdown: closes every socket with 1001. */
  override disconnect(): void {
    this.#state = 'stopped'
    clearInterval(this.#keepAlive)
    this.#keepAlive = undefined
    for (const connection of [...this.#connections]) {
      this.#close(connection, RelayCloseCode.goingAway, 'relay shutting down')
    }
  }

  /**
   * Takes over an authenticated socket; the client must send `join` next. Never throws.
   * @param socket - an open socket from the integrator's `ws` server
   * @param user - the user the upgrade authenticated; the socket's peer id is bound to it
   */
  accept(socket: WebSocket, user: RelayPeerUser): void {
    const log = this.#log.child({ userId: user.id })
    if (socket.readyState !== socket.OPEN) {
      log.debug('accept: socket is not open; ignored')
      return
    }
    const connection = new PeerConnection(socket, { id: user.id, roles: [...user.roles] }, log, {
      messagesPerSecond: this.#limits.messagesPerSecondPerPeer,
      bytesPerSecond: this.#limits.bytesPerSecondPerPeer,
      now: this.#limits.now,
    })
    // Before anything can close the socket: an 'error' event without a listener throws.
    socket.on('error', (error) => log.debug({ err: error }, 'socket error'))
    socket.on('close', (code, reason) => this.#onSocketClosed(connection, code, reason))
    if (this.#state === 'stopped') {
      this.#close(connection, RelayCloseCode.tryAgainLater, 'relay shutting down')
      return
    }
    if (this.#connections.size >= this.#limits.maxConnections) {
      log.warn({ maxConnections: this.#limits.maxConnections }, 'connection refused: at limit')
      this.#close(connection, RelayCloseCode.tryAgainLater, 'too many connections')
      return
    }
    this.#connections.add(connection)
    socket.binaryType = 'nodebuffer'
    socket.on('message', (data, isBinary) => this.#onFrame(connection, data, isBinary))
    socket.on('pong', () => connection.markAlive())
    connection.joinTimer = setTimeout(() => {
      if (connection.peerId === undefined) {
        this.#close(connection, RelayCloseCode.joinTimeout, 'join timeout')
      }
    }, this.#limits.joinTimeoutMs)
    connection.joinTimer.unref()
    // Frames wait in the socket until the Repo has given the adapter its peer id.
    if (this.#state === 'new') socket.pause()
  }

  /**
   * Called by the Repo to send a message to a peer; drops it (logged) if the peer is gone.
   * Never throws.
   */
  override send(message: Message): void {
    const connection = this.#peers.get(message.targetId)
    if (connection === undefined) {
      this.#log.debug({ targetId: message.targetId, type: message.type }, 'send: no such peer')
      return
    }
    this.#write(connection, message)
  }

  /** The peers joined now, with their users and join metadata. */
  joinedPeers(): JoinedPeer[] {
    return [...this.#peers].map(([peerId, connection]) => ({
      peerId,
      user: connection.user,
      peerMetadata: this.#metadata.get(connection) ?? {},
    }))
  }

  /**
   * Sends a message that is not one of automerge-repo's (the Repo never sees it) to a joined
   * peer, CBOR-encoded like every other, subject to the send buffer limit. Never throws.
   * @param message - addressed with `targetId`; only send types the peer declared it speaks
   * @returns false when the peer is gone (the message is dropped)
   */
  sendTo(message: RelayOwnMessage): boolean {
    const connection = this.#peers.get(message.targetId)
    if (connection === undefined) return false
    this.#write(connection, message)
    return !connection.closed
  }

  /** Counters since the adapter was created. */
  stats(): RelayNetworkStats {
    return { connections: this.#connections.size, peers: this.#peers.size, ...this.#counters }
  }

  #onFrame(connection: PeerConnection, data: RawData, isBinary: boolean): void {
    try {
      this.#receive(connection, data, isBinary)
    } catch (error) {
      // Nothing above should throw; if it does, this socket goes, never the process.
      connection.log.error({ err: error }, 'unexpected error handling a frame')
      this.#close(connection, RelayCloseCode.policyViolation, 'internal error')
    }
  }

  #receive(connection: PeerConnection, data: RawData, isBinary: boolean): void {
    if (connection.closed) return
    const frame = toBytes(data)
    this.#counters.messagesIn += 1
    this.#counters.bytesIn += frame.byteLength
    connection.markAlive()
    if (frame.byteLength > this.#limits.maxFrameBytes) {
      this.#close(connection, RelayCloseCode.messageTooBig, 'frame too big')
      return
    }
    if (!connection.admit(frame.byteLength)) {
      connection.log.warn({ peerId: connection.peerId }, 'closing: rate limit')
      this.#close(connection, RelayCloseCode.rateLimited, 'rate limit')
      return
    }
    if (!isBinary) return this.#violation(connection, 'text frame')
    if (frame.byteLength === 0) return this.#violation(connection, 'empty frame')
    const parsed = parseClientMessage(frame)
    if (!parsed.ok) return this.#violation(connection, parsed.reason)
    const { message } = parsed
    if (message.type === 'join') return this.#join(connection, message)
    if (connection.peerId === undefined) {
      return this.#violation(connection, `${message.type} before join`)
    }
    if (message.senderId !== connection.peerId) {
      return this.#violation(connection, `${message.type} from another senderId`)
    }
    if (message.targetId !== this.peerId) {
      return this.#violation(connection, `${message.type} addressed to another peer`)
    }
    if (this.#inspect === undefined) return this.#deliver(connection, message)
    connection.queue.push(message)
    const queued = connection.queue.length
    if (queued > this.#limits.maxQueuedMessagesPerPeer + this.#limits.messagesPerSecondPerPeer) {
      connection.log.warn({ peerId: connection.peerId, queued }, 'closing: inspect backlog')
      this.#close(connection, RelayCloseCode.rateLimited, 'rate limit')
      return
    }
    // Frames ws has already read still arrive after pause: at most a burst, which the rate
    // bucket bounds, so only a client above its rate (or a stalled inspect) reaches the bound.
    if (queued >= this.#limits.maxQueuedMessagesPerPeer) connection.socket.pause()
    this.#drain(connection).catch((error: unknown) => {
      connection.log.error({ err: error }, 'unexpected error draining the inspect queue')
      this.#close(connection, RelayCloseCode.policyViolation, 'internal error')
    })
  }

  #join(connection: PeerConnection, join: JoinMessage): void {
    const peerId = join.senderId
    if (connection.peerId !== undefined) {
      return this.#violation(connection, 'second join on one socket')
    }
    const versions = join.supportedProtocolVersions
    if (versions !== undefined && !versions.includes(ProtocolV1)) {
      this.#writeError(connection, peerId, 'unsupported protocol version')
      this.#close(connection, RelayCloseCode.unsupportedProtocol, 'unsupported protocol version')
      return
    }
    const owner = this.#peers.get(peerId)
    if (owner !== undefined && owner.user.id !== connection.user.id) {
      connection.log.warn({ peerId }, 'join refused: peer id connected for another user')
      this.#writeError(connection, peerId, 'peer id in use')
      this.#close(connection, RelayCloseCode.peerIdTaken, 'peer id in use')
      return
    }
    const userPeers = this.#peersByUser.get(connection.user.id) ?? new Set<PeerConnection>()
    if (owner === undefined && userPeers.size >= this.#limits.peersPerUser) {
      connection.log.warn({ peerId, peers: userPeers.size }, 'join refused: too many peers')
      this.#writeError(connection, peerId, 'too many peers for this user')
      this.#close(connection, RelayCloseCode.tooManyPeers, 'too many peers')
      return
    }
    // A reconnect: the Repo sees the old peer leave (and drops its sync state) first.
    if (owner !== undefined) this.#close(owner, RelayCloseCode.replaced, 'replaced')
    clearTimeout(connection.joinTimer)
    connection.peerId = peerId
    this.#metadata.set(connection, join.peerMetadata)
    connection.log = connection.log.child({ peerId })
    this.#peers.set(peerId, connection)
    this.#peersByUser.set(connection.user.id, userPeers.add(connection))
    const serverPeerId = this.#serverPeerId()
    // 'peer' first: the Repo may send to the new peer from its peer-candidate handler.
    this.#write(connection, {
      type: 'peer',
      senderId: serverPeerId,
      peerMetadata: this.peerMetadata,
      selectedProtocolVersion: ProtocolV1,
      targetId: peerId,
    })
    connection.log.debug('joined')
    this.#emitSafely('peer-candidate', { peerId, peerMetadata: join.peerMetadata })
  }

  async #drain(connection: PeerConnection): Promise<void> {
    const inspect = this.#inspect
    if (connection.draining || inspect === undefined) return
    connection.draining = true
    try {
      let message = connection.queue[0]
      while (message !== undefined) {
        const current = message
        const peer = { peerId: current.senderId, user: connection.user }
        // Through then(): an inspect that throws synchronously counts as a rejection.
        const verdict = await Promise.resolve()
          .then(() => inspect(peer, current))
          .catch((error: unknown) => {
            const documentId = documentIdOf(current)
            connection.log.error({ err: error, documentId }, 'inspect failed')
            return { refuse: 'internal error' }
          })
        if (connection.closed) return
        connection.queue.shift()
        if (verdict === 'pass') this.#deliver(connection, current)
        else this.#refuse(connection, current, verdict)
        if (
          connection.socket.isPaused &&
          connection.queue.length <= this.#limits.maxQueuedMessagesPerPeer / 2
        ) {
          connection.socket.resume()
        }
        message = connection.queue[0]
      }
    } finally {
      connection.draining = false
    }
  }

  #deliver(connection: PeerConnection, message: RepoMessage): void {
    // A message from a socket that has been replaced or closed meanwhile would reach the
    // Repo out of order with the new socket's stream.
    if (connection.closed || this.#peers.get(message.senderId) !== connection) return
    this.#emitSafely('message', message)
  }

  #refuse(connection: PeerConnection, message: RepoMessage, verdict: unknown): void {
    const reason =
      typeof verdict === 'object' && verdict !== null && 'refuse' in verdict
        ? String(verdict.refuse)
        : 'internal error'
    const documentId = documentIdOf(message)
    this.#counters.refused += 1
    connection.log.info({ documentId, type: message.type, reason }, 'message refused')
    this.#write(connection, {
      type: 'error',
      senderId: this.#serverPeerId(),
      targetId: message.senderId,
      message: reason,
      ...(documentId === undefined ? {} : { documentId }),
    })
    this.#emitSafely('refused', {
      peerId: message.senderId,
      user: connection.user,
      documentId,
      reason,
    })
  }

  #violation(connection: PeerConnection, reason: string): void {
    this.#counters.malformed += 1
    connection.violations += 1
    connection.log.debug({ reason, violations: connection.violations }, 'frame dropped')
    this.#emitSafely('dropped', { peerId: connection.peerId, user: connection.user, reason })
    if (connection.violations >= this.#limits.maxViolationsPerPeer) {
      connection.log.warn({ reason, violations: connection.violations }, 'closing: violations')
      this.#close(connection, RelayCloseCode.policyViolation, 'too many invalid messages')
    }
  }

  #writeError(connection: PeerConnection, targetId: PeerId, reason: string): void {
    this.#write(connection, {
      type: 'error',
      senderId: this.#serverPeerId(),
      targetId,
      message: reason,
    })
  }

  #write(connection: PeerConnection, message: object): void {
    if (connection.closed || connection.socket.readyState !== connection.socket.OPEN) return
    let frame: Buffer
    try {
      // cbor-x encodes into a buffer it reuses for the next message, and ws may hold on to
      // what it is given until the socket drains: send a copy.
      frame = Buffer.from(cbor.encode(message))
    } catch (error) {
      connection.log.error({ err: error }, 'send: cannot encode message; dropped')
      return
    }
    if (connection.socket.bufferedAmount + frame.byteLength > this.#limits.maxSendBufferBytes) {
      connection.log.warn('closing: send buffer full')
      this.#close(connection, RelayCloseCode.sendBufferFull, 'send buffer full')
      return
    }
    this.#counters.messagesOut += 1
    this.#counters.bytesOut += frame.byteLength
    connection.socket.send(frame, { binary: true }, (error) => {
      if (error !== undefined && error !== null) connection.log.debug({ err: error }, 'send failed')
    })
  }

  #checkKeepAlive(): void {
    for (const connection of [...this.#connections]) {
      // A paused socket is waiting for us (inspect), and its pongs wait unread.
      if (connection.socket.isPaused) continue
      if (connection.awaitingPong) {
        connection.missedPongs += 1
        if (connection.missedPongs >= this.#limits.missedPongsBeforeTerminate) {
          connection.log.info({ missedPongs: connection.missedPongs }, 'terminating: no pong')
          this.#close(connection, 1006, 'keepalive timeout', true)
          continue
        }
      }
      connection.awaitingPong = true
      try {
        connection.socket.ping()
      } catch (error) {
        connection.log.debug({ err: error }, 'ping failed')
      }
    }
  }

  #onSocketClosed(connection: PeerConnection, code: number, reason: Buffer): void {
    this.#close(connection, code, reason.toString('utf8').slice(0, 123), false, true)
  }

  /**
   * Lets go of a connection once: forgets it, tells the Repo its peer left, and closes (or
   * terminates) the socket unless it is closed already.
   */
  #close(
    connection: PeerConnection,
    code: number,
    reason: string,
    terminate = false,
    socketClosed = false,
  ): void {
    if (connection.closed) return
    connection.closed = true
    clearTimeout(connection.joinTimer)
    connection.queue.length = 0
    this.#connections.delete(connection)
    const { peerId, user } = connection
    if (peerId !== undefined && this.#peers.get(peerId) === connection) {
      this.#peers.delete(peerId)
      const userPeers = this.#peersByUser.get(user.id)
      userPeers?.delete(connection)
      if (userPeers?.size === 0) this.#peersByUser.delete(user.id)
      this.#emitSafely('peer-disconnected', { peerId })
    }
    if (!socketClosed) {
      try {
        if (terminate) connection.socket.terminate()
        else {
          // A paused socket would not read the client's close frame, and ws would wait 30 s.
          connection.socket.resume()
          connection.socket.close(code, reason)
        }
      } catch (error) {
        connection.log.debug({ err: error }, 'close failed')
        connection.socket.terminate()
      }
    }
    connection.log.debug({ code, reason }, 'connection closed')
    this.#emitSafely('connection-closed', { peerId, user, code, reason })
  }

  #serverPeerId(): PeerId {
    if (this.peerId === undefined) {
      throw new Error('RelayNetworkAdapter: used before the Repo connected it')
    }
    return this.peerId
  }

  /** Emits an event; a listener that throws is logged, never propagated into ws. */
  #emitSafely<Name extends keyof RelayNetworkAdapterEvents>(
    name: Name,
    payload: Parameters<RelayNetworkAdapterEvents[Name]>[0],
  ): void {
    try {
      ;(this.emit as (name: string, payload: unknown) => boolean)(name, payload)
    } catch (error) {
      this.#log.error({ err: error, event: name }, 'event listener threw')
    }
  }
}

/** The bytes of a ws frame (delivered as a Buffer with binaryType 'nodebuffer'). */
function toBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.from(data)
}

function documentIdOf(message: RepoMessage): DocumentId | undefined {
  return 'documentId' in message ? message.documentId : undefined
}

/** The options that are set, so that spreading them keeps the defaults of the others. */
function withoutUndefined(options: RelayNetworkAdapterOptions): Partial<Limits> {
  const set = Object.entries(options).filter(
    ([name, value]) => value !== undefined && name !== 'logger' && name !== 'inspect',
  )
  return Object.fromEntries(set)
}

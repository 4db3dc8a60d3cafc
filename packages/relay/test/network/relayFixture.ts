import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repo, cbor } from '@automerge/automerge-repo'
import type { DocHandle, PeerId } from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import { pino } from 'pino'
import { WebSocket, WebSocketServer } from 'ws'
import { RelayStorageAdapter } from '../../src/storage/RelayStorageAdapter.ts'
import { RelayNetworkAdapter } from '../../src/sync/RelayNetworkAdapter.ts'
import type { RelayNetworkAdapterOptions } from '../../src/sync/RelayNetworkAdapter.ts'
import { relayWebSocketServerOptions } from '../../src/sync/network/relayWebSocketServerOptions.ts'

/** The relay Repo's peer id in every test. */
export const RELAY_PEER_ID = 'relay' as PeerId

type Cleanup = (cleanup: () => Promise<void> | void) => void

/** One log record of the relay, as pino wrote it. */
export interface LogRecord {
  level: number
  msg: string
  [field: string]: unknown
}

/**
 * Starts a relay on loopback: a `ws` server on port 0 whose 'connection' handler plays the
 * integrator (the user comes from the `user` query parameter), a RelayNetworkAdapter, and a
 * Repo on RelayStorageAdapter in a temporary directory. Everything stops when the test ends.
 */
export async function startRelay(
  onTestFinished: Cleanup,
  options: Partial<Omit<RelayNetworkAdapterOptions, 'logger'>> = {},
) {
  const logs: LogRecord[] = []
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => logs.push(JSON.parse(line) as LogRecord) },
  )
  const adapter = new RelayNetworkAdapter({ logger, ...options })
  const directory = await mkdtemp(join(tmpdir(), 'rowsync-relay-network-'))
  const storage = await RelayStorageAdapter.open(directory)
  const repo = new Repo({ network: [adapter], storage, peerId: RELAY_PEER_ID })
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    ...relayWebSocketServerOptions(
      options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes },
    ),
  })
  server.on('connection', (socket, request) => {
    const user = new URL(request.url ?? '/', 'http://relay').searchParams.get('user') ?? 'anon'
    adapter.accept(socket, { id: user, roles: ['member'] })
  })
  await new Promise<void>((resolve) => server.once('listening', resolve))
  await adapter.whenReady()
  const { port } = server.address() as AddressInfo
  onTestFinished(async () => {
    await repo.shutdown()
    for (const client of server.clients) client.terminate()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await storage.close()
    await rm(directory, { recursive: true, force: true })
  })
  const urlFor = (user: string) => `ws://127.0.0.1:${port}/?user=${encodeURIComponent(user)}`
  return { adapter, repo, logs, urlFor }
}

/**
 * A stock automerge-repo client: a Repo without storage on the stock WebSocketClientAdapter,
 * connected once its adapter has seen the relay's `peer` message.
 */
export async function startStockClient(onTestFinished: Cleanup, url: string) {
  // A long retry interval: a test that closes the socket must not see a silent reconnect.
  const network = new WebSocketClientAdapter(url, 60_000)
  const connected = new Promise<void>((resolve) => network.once('peer-candidate', () => resolve()))
  const repo = new Repo({ network: [network] })
  onTestFinished(() => repo.shutdown())
  await connected
  return { repo, network }
}

/** Resolves once the document satisfies `predicate`, checking now and after every change. */
export function until<T>(handle: DocHandle<T>, predicate: (doc: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const check = () => {
      const doc = handle.doc()
      if (predicate(doc)) {
        handle.off('change', check)
        resolve(doc)
      }
    }
    handle.on('change', check)
    check()
  })
}

/** A message the relay sent, decoded. */
export type ServerMessage = Record<string, unknown> & { type: string }

/**
 * A hand-driven WebSocket client for protocol tests: sends arbitrary frames and records
 * every decoded message and the close event.
 */
export class RawClient {
  readonly socket: WebSocket
  readonly received: ServerMessage[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  #waiters: { predicate: (message: ServerMessage) => boolean; resolve: () => void }[] = []

  private constructor(socket: WebSocket) {
    this.socket = socket
    this.closed = new Promise((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    )
    socket.on('error', () => undefined)
    socket.on('message', (data: Buffer) => {
      let message: ServerMessage
      try {
        message = cbor.decode(new Uint8Array(data))
      } catch {
        return
      }
      this.received.push(message)
      this.#waiters = this.#waiters.filter((waiter) => {
        if (!waiter.predicate(message)) return true
        waiter.resolve()
        return false
      })
    })
  }

  /** Opens a socket to `url` and waits until it is open. */
  static async open(onTestFinished: Cleanup, url: string, options?: { autoPong?: boolean }) {
    const socket = new WebSocket(url, options)
    onTestFinished(() => socket.terminate())
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve())
      socket.once('error', reject)
    })
    return new RawClient(socket)
  }

  /** Sends `message` as one CBOR binary frame. */
  send(message: unknown): void {
    this.socket.send(cbor.encode(message))
  }

  /**
   * Sends a join as `peerId` and resolves with the relay's first answer to it: its `peer`
   * message, its `error` message, or the close event.
   */
  async join(peerId: string): Promise<ServerMessage | { closed: number }> {
    const answer = this.next((message) => message.type === 'peer' || message.type === 'error')
    this.send({
      type: 'join',
      senderId: peerId,
      peerMetadata: {},
      supportedProtocolVersions: ['1'],
    })
    const result = await Promise.race([answer, this.closed.then(({ code }) => ({ closed: code }))])
    return result
  }

  /** Resolves with the first message (already received or later) matching `predicate`. */
  next(predicate: (message: ServerMessage) => boolean): Promise<ServerMessage> {
    const found = this.received.find(predicate)
    if (found !== undefined) return Promise.resolve(found)
    return new Promise((resolve) => {
      this.#waiters.push({
        predicate,
        resolve: () => resolve(this.received.findLast(predicate) as ServerMessage),
      })
    })
  }

  /**
   * Resolves 'open' once the relay has handled every frame sent before (the pong to a ping
   * sent after them comes back after ws delivered them), or 'closed'.
   */
  async roundTrip(): Promise<'open' | 'closed'> {
    if (this.socket.readyState !== WebSocket.OPEN) return 'closed'
    const pong = new Promise<'open'>((resolve) => this.socket.once('pong', () => resolve('open')))
    this.socket.ping()
    return Promise.race([pong, this.closed.then(() => 'closed' as const)])
  }
}

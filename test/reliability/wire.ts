import * as Automerge from '@automerge/automerge'
import { cbor, Repo, type DocHandle, type DocumentId } from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import type { RowDocument } from '@rowsync/schema'
import { WebSocket } from 'ws'
import { tokenFor, type CampaignUser } from './relayProcess.ts'

// Clients that keep every byte the relay sends them, so that a test can say "none of the
// victim's data reached the attacker" about the wire, not about what a library chose to show.

/** A message the relay sent, decoded (undefined when the frame was not CBOR). */
export type WireMessage = Record<string, unknown> & { type?: unknown }

/** A hand-driven WebSocket client of `/sync` that records every frame it receives. */
export class WireClient {
  readonly socket: WebSocket
  readonly frames: Buffer[] = []
  readonly messages: WireMessage[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  /** The relay's peer id, from its `peer` answer to our join. */
  relayPeerId: string | undefined
  /** The peer id this client joined as. */
  peerId: string | undefined
  #waiters: Array<{
    predicate: (message: WireMessage) => boolean
    resolve: (message: WireMessage) => void
  }> = []

  private constructor(socket: WebSocket) {
    this.socket = socket
    this.closed = new Promise((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    )
    socket.on('error', () => undefined)
    socket.on('message', (data: Buffer) => {
      this.frames.push(Buffer.from(data))
      let message: WireMessage
      try {
        message = cbor.decode(new Uint8Array(data))
      } catch {
        return
      }
      this.messages.push(message)
      this.#waiters = this.#waiters.filter((waiter) => {
        if (!waiter.predicate(message)) return true
        waiter.resolve(message)
        return false
      })
    })
  }

  /**
   * Opens a socket to `syncUrl` with `?token=` (when given) and resolves once it is open,
   * or with the HTTP status the upgrade was refused with.
   */
  static async open(
    syncUrl: string,
    token: string | undefined,
    headers: Record<string, string> = {},
  ): Promise<WireClient | { refused: number; body: Buffer }> {
    const url = token === undefined ? syncUrl : `${syncUrl}?token=${encodeURIComponent(token)}`
    const socket = new WebSocket(url, { headers })
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new WireClient(socket)))
      socket.once('unexpected-response', (_request, response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({ refused: response.statusCode ?? 0, body: Buffer.concat(chunks) }),
        )
        response.on('error', () =>
          resolve({ refused: response.statusCode ?? 0, body: Buffer.concat(chunks) }),
        )
      })
      socket.once('error', reject)
    })
  }

  /** Opens a socket as `user` and joins as `peerId`; throws when either is refused. */
  static async joined(syncUrl: string, user: CampaignUser, peerId: string): Promise<WireClient> {
    const client = await WireClient.open(syncUrl, await tokenFor(user))
    if (!(client instanceof WireClient)) throw new Error(`upgrade refused: ${client.refused}`)
    const answer = await client.join(peerId)
    if (answer.type !== 'peer') throw new Error(`join refused: ${JSON.stringify(answer)}`)
    return client
  }

  /** Sends raw bytes or one CBOR-encoded message. */
  send(message: unknown): void {
    if (this.socket.readyState !== WebSocket.OPEN) return
    this.socket.send(message instanceof Uint8Array ? message : cbor.encode(message))
  }

  /**
   * Sends a sync-carrying message from this client's peer id and resolves with the first
   * answer naming the document, or 'closed'.
   */
  async exchange(type: 'request' | 'sync', documentId: string, data: Uint8Array) {
    const answer = this.nextOrClosed((message) => message.documentId === documentId)
    this.send({ type, senderId: this.peerId, targetId: this.relayPeerId, documentId, data })
    return answer
  }

  /** Sends a join and resolves with the relay's `peer` or `error` answer, or the close. */
  async join(peerId: string): Promise<WireMessage | { type: 'closed'; code: number }> {
    const answer = this.next((message) => message.type === 'peer' || message.type === 'error')
    this.send({
      type: 'join',
      senderId: peerId,
      peerMetadata: {},
      supportedProtocolVersions: ['1'],
    })
    const result = await Promise.race([
      answer,
      this.closed.then(({ code }) => ({ type: 'closed' as const, code })),
    ])
    if (result.type === 'peer') {
      this.relayPeerId = String(result.senderId)
      this.peerId = peerId
    }
    return result
  }

  /**
   * Resolves with the first message matching `predicate` among those received from index
   * `from` on (default: every message, including those already received).
   */
  next(predicate: (message: WireMessage) => boolean, from = 0): Promise<WireMessage> {
    const found = this.messages.slice(from).find(predicate)
    if (found !== undefined) return Promise.resolve(found)
    return new Promise((resolve) => this.#waiters.push({ predicate, resolve }))
  }

  /**
   * The first message matching `predicate` received from now on, or 'closed' if the socket
   * closes first.
   */
  async nextOrClosed(predicate: (message: WireMessage) => boolean) {
    const from = this.messages.length
    return Promise.race([this.next(predicate, from), this.closed.then(() => 'closed' as const)])
  }

  /**
   * Resolves 'open' once the relay has read every frame sent before (its pong to a later
   * ping comes after them), or 'closed'.
   */
  async roundTrip(): Promise<'open' | 'closed'> {
    if (this.socket.readyState !== WebSocket.OPEN) return 'closed'
    const pong = new Promise<'open'>((resolve) => this.socket.once('pong', () => resolve('open')))
    this.socket.ping()
    return Promise.race([pong, this.closed.then(() => 'closed' as const)])
  }

  /** Every byte received so far. */
  bytes(): Buffer {
    return Buffer.concat(this.frames)
  }

  /** Closes the socket (terminate: no close handshake). */
  stop(): void {
    this.socket.terminate()
  }
}

/** The row document a joined client gets for `documentId` over the wire; throws if refused. */
export async function fetchDocument(client: WireClient, documentId: string) {
  const answer = await client.exchange('request', documentId, requestData())
  if (answer === 'closed' || answer.type !== 'sync') {
    throw new Error(`fetchDocument ${documentId}: ${JSON.stringify(answer)}`)
  }
  let doc = Automerge.init<RowDocument>()
  for (const change of Automerge.decodeSyncMessage(answer.data as Uint8Array).changes) {
    doc = Automerge.loadIncremental(doc, change)
  }
  return doc
}

/** The first message of a peer that has nothing of a document: asks for all of it. */
export function requestData(): Uint8Array {
  const [, message] = Automerge.generateSyncMessage(Automerge.init(), Automerge.initSyncState())
  if (message === null) throw new Error('requestData: Automerge generated no message')
  return message
}

/**
 * A sync message that carries `changes` (raw change or document chunks), as if from a peer
 * whose heads are `heads`.
 */
export function syncMessageWith(changes: Uint8Array[], heads: Automerge.Heads = []): Uint8Array {
  return Automerge.encodeSyncMessage({ heads, need: [], have: [], changes })
}

/**
 * The changes `after` has and `before` lacks, as a sync message an honest peer that holds
 * `after` would send a relay that holds `before`.
 */
export function syncMessageFrom<T>(before: Automerge.Doc<T>, after: Automerge.Doc<T>): Uint8Array {
  const changes = Automerge.getChanges(before, after)
  return syncMessageWith(changes, Automerge.getHeads(after))
}

/** A stock automerge-repo client as `user`; `stop` shuts it down. */
export async function stockClient(syncUrl: string, user: CampaignUser) {
  const adapter = new WebSocketClientAdapter(`${syncUrl}?token=${await tokenFor(user)}`)
  const repo = new Repo({ network: [adapter] })
  await repo.networkSubsystem.whenReady()
  return { repo, stop: () => repo.shutdown() }
}

/** Resolves once the handle's document satisfies `predicate`. */
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

/** A document id as automerge-repo spells it. */
export function asDocumentId(id: string): DocumentId {
  return id as DocumentId
}

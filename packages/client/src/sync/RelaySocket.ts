import { cbor } from '@automerge/automerge-repo/slim'
import { relayPaths, rowsyncPeerMetadata, type RelayChangesMessage } from '@rowsync/schema'
import WebSocket from 'isomorphic-ws'

/** What a {@link RelaySocket} reports. */
export interface RelaySocketHandlers {
  /** Changes the relay pushed. */
  changes(message: RelayChangesMessage): void
  /** The relay refused a message or reported a problem (automerge-repo `error` message). */
  error(message: string, documentId: string | undefined): void
  /** The connection closed (by either side, or failed); not called after {@link close}. */
  closed(reason: string): void
}

const joinTimeoutMs = 10_000

function isChangesMessage(message: Record<string, unknown>): message is RelayChangesMessage & {
  [key: string]: unknown
} {
  return (
    message.type === 'rowsync-changes' &&
    typeof message.documentId === 'string' &&
    Array.isArray(message.heads) &&
    message.heads.every((head) => typeof head === 'string') &&
    message.data instanceof Uint8Array
  )
}

/**
 * A device's live connection to the relay: automerge-repo's WebSocket protocol (CBOR
 * messages; `join`, answered by `peer`), on which the relay pushes the changes it accepts.
 * The token travels as the `rowsync.token.<token>` subprotocol, which browsers can send.
 * The stock `WebSocketClientAdapter` is not used: it drops the relay's error messages, retries
 * on a fixed 5 s interval and cannot present a fresh token on reconnect.
 */
export class RelaySocket {
  /** This connection's automerge-repo peer id. */
  readonly peerId: string
  readonly #socket: WebSocket
  readonly #handlers: RelaySocketHandlers
  #closedByUs = false

  private constructor(socket: WebSocket, handlers: RelaySocketHandlers, peerId: string) {
    this.#socket = socket
    this.#handlers = handlers
    this.peerId = peerId
  }

  /**
   * Connects and joins; resolves once the relay answered the join.
   * @param options.base - the relay's base URL (http or https)
   * @param options.token - the token to present
   * @param options.peerId - this connection's automerge-repo peer id
   * @throws Error when the connection fails, is refused or the relay does not answer the join
   */
  static connect(options: {
    base: string
    token: string
    peerId: string
    handlers: RelaySocketHandlers
  }): Promise<RelaySocket> {
    const url = `${options.base.replace(/^http/, 'ws').replace(/\/+$/, '')}${relayPaths.sync}`
    const socket = new WebSocket(url, ['rowsync', `rowsync.token.${options.token}`])
    socket.binaryType = 'arraybuffer'
    const connection = new RelaySocket(socket, options.handlers, options.peerId)
    return new Promise<RelaySocket>((resolve, reject) => {
      let joined = false
      const timer = setTimeout(() => fail('the relay did not answer the join'), joinTimeoutMs)
      const fail = (reason: string): void => {
        clearTimeout(timer)
        if (joined) return
        socket.close()
        reject(new Error(`cannot connect to ${url}: ${reason}`))
      }
      socket.onopen = () => {
        connection.#send({
          type: 'join',
          senderId: options.peerId,
          peerMetadata: rowsyncPeerMetadata,
          supportedProtocolVersions: ['1'],
        })
      }
      socket.onerror = (event) => {
        if (!joined) fail(event.message || 'the connection failed')
      }
      socket.onclose = (event) => {
        const reason = `closed with code ${event.code}${event.reason ? ` (${event.reason})` : ''}`
        if (!joined) fail(reason)
        else if (!connection.#closedByUs) options.handlers.closed(reason)
      }
      socket.onmessage = (event) => {
        const message = connection.#decode(event.data)
        if (!message) return
        if (!joined) {
          if (message.type === 'peer') {
            joined = true
            clearTimeout(timer)
            resolve(connection)
          } else if (message.type === 'error') {
            fail(String(message.message))
          }
          return
        }
        connection.#receive(message)
      }
    })
  }

  /** Closes the connection; no handler is called after this. */
  close(): void {
    this.#closedByUs = true
    this.#socket.close(1000, 'device closed the connection')
  }

  #send(message: Record<string, unknown>): void {
    this.#socket.send(cbor.encode(message))
  }

  #decode(data: WebSocket.Data): Record<string, unknown> | undefined {
    try {
      const bytes =
        data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : data instanceof Uint8Array
            ? data
            : undefined
      const message: unknown = bytes && cbor.decode(bytes)
      return typeof message === 'object' && message !== null
        ? (message as Record<string, unknown>)
        : undefined
    } catch {
      this.#handlers.error('the relay sent a message that is not CBOR', undefined)
      return undefined
    }
  }

  #receive(message: Record<string, unknown>): void {
    if (isChangesMessage(message)) this.#handlers.changes(message)
    else if (message.type === 'error') {
      this.#handlers.error(
        String(message.message),
        typeof message.documentId === 'string' ? message.documentId : undefined,
      )
    }
  }
}

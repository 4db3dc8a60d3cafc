import type { IncomingMessage } from 'node:http'
import { tokenSubprotocolPrefix } from './selectSubprotocol.ts'

/** The parts of a request {@link tokenFromRequest} reads. */
export type TokenSource = Pick<IncomingMessage, 'headers' | 'url'>

const bearerPattern = /^Bearer +(\S+) *$/i

/**
 * Finds the client's token on an HTTP request or WebSocket upgrade, looking in order at:
 * `Authorization: Bearer <token>`; the `token` query parameter (`?token=<token>`); and a
 * `Sec-WebSocket-Protocol` entry `rowsync.token.<token>`. The last two exist because a
 * browser cannot set headers on a WebSocket; a client using the subprotocol must also offer
 * the plain `rowsync` subprotocol, which the server selects (see `selectSubprotocol`).
 * Only finds a token; it does not verify it. Never throws.
 * @param request - the incoming request (only `headers` and `url` are read)
 * @returns the token, or `undefined` when none of the three places holds a non-empty one
 */
export function tokenFromRequest(request: TokenSource): string | undefined {
  return fromAuthorization(request) ?? fromQuery(request) ?? fromSubprotocol(request)
}

function fromAuthorization(request: TokenSource): string | undefined {
  const header = request.headers.authorization
  if (typeof header !== 'string') return undefined
  return bearerPattern.exec(header)?.[1]
}

function fromQuery(request: TokenSource): string | undefined {
  const url = request.url
  if (url === undefined || !url.includes('?')) return undefined
  try {
    // The base only makes a path-only request URL parseable; its host is never used.
    const token = new URL(url, 'http://relay.invalid').searchParams.get('token')
    return token === null || token === '' ? undefined : token
  } catch {
    return undefined
  }
}

function fromSubprotocol(request: TokenSource): string | undefined {
  const header = request.headers['sec-websocket-protocol']
  if (typeof header !== 'string') return undefined
  for (const entry of header.split(',')) {
    const protocol = entry.trim()
    if (
      protocol.startsWith(tokenSubprotocolPrefix) &&
      protocol.length > tokenSubprotocolPrefix.length
    ) {
      return protocol.slice(tokenSubprotocolPrefix.length)
    }
  }
  return undefined
}

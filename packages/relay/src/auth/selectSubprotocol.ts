/** The WebSocket subprotocol a Rowsync client offers and the relay selects. */
export const rowsyncSubprotocol = 'rowsync'

/**
 * Prefix of the subprotocol entry that carries a token: a client offers
 * `['rowsync', 'rowsync.token.' + token]`, because a browser cannot set headers on a
 * WebSocket. JWTs use only base64url characters and dots, all legal in a subprotocol name.
 */
export const tokenSubprotocolPrefix = 'rowsync.token.'

/**
 * Picks the subprotocol the relay answers a WebSocket upgrade with: always the plain
 * `rowsync`, never the entry that carries the token, so the token is not echoed back. A
 * browser that offered subprotocols fails the connection if the server selects none, which
 * is why a client sending its token this way must also offer `rowsync`. Fits the
 * `handleProtocols` option of the `ws` server.
 * @param offered - the subprotocols in the request's `Sec-WebSocket-Protocol` header
 * @returns `rowsync` when offered, otherwise `false` (no subprotocol)
 */
export function selectSubprotocol(offered: ReadonlySet<string>): string | false {
  return offered.has(rowsyncSubprotocol) ? rowsyncSubprotocol : false
}

/**
 * WebSocket close codes the relay's sync endpoint uses, so that clients and dashboards can
 * tell the reasons apart. 1xxx are the standard codes (RFC 6455); 4xxx are the relay's own.
 */
export const RelayCloseCode = {
  /** The relay is shutting down (RelayNetworkAdapter.disconnect). */
  goingAway: 1001,
  /** Too many malformed or misaddressed messages (maxViolationsPerPeer). */
  policyViolation: 1008,
  /** A frame above maxFrameBytes; ws sends it itself when `maxPayload` is set. */
  messageTooBig: 1009,
  /** The relay is at maxConnections, or not connected to its Repo any more. */
  tryAgainLater: 1013,
  /** This connection's peer id reconnected on a new socket of the same user. */
  replaced: 4001,
  /** The client supports none of the relay's protocol versions. */
  unsupportedProtocol: 4002,
  /** The declared peer id is connected for another user. */
  peerIdTaken: 4003,
  /** No join message within joinTimeoutMs. */
  joinTimeout: 4008,
  /** Above messagesPerSecondPerPeer or bytesPerSecondPerPeer, or too far ahead of inspect. */
  rateLimited: 4029,
  /** The user already has peersPerUser peers connected. */
  tooManyPeers: 4030,
  /** The client reads too slowly: more than maxSendBufferBytes waiting to be sent to it. */
  sendBufferFull: 4031,
} as const

/** One of the {@link RelayCloseCode} values. */
export type RelayCloseCode = (typeof RelayCloseCode)[keyof typeof RelayCloseCode]

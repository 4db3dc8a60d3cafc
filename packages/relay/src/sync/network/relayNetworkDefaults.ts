/** Defaults of the limits of `RelayNetworkAdapter` (see RelayNetworkAdapterOptions). */
export const RELAY_NETWORK_DEFAULTS = {
  maxFrameBytes: 8 * 1024 * 1024,
  messagesPerSecondPerPeer: 200,
  bytesPerSecondPerPeer: 4 * 1024 * 1024,
  peersPerUser: 10,
  maxConnections: 10_000,
  maxViolationsPerPeer: 10,
  maxQueuedMessagesPerPeer: 256,
  maxSendBufferBytes: 64 * 1024 * 1024,
  joinTimeoutMs: 10_000,
  keepAliveIntervalMs: 5_000,
  missedPongsBeforeTerminate: 3,
} as const

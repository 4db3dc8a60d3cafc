import type { RelayLimits } from './RelayConfig.ts'

const mebibyte = 1024 * 1024

/** The limits a relay applies when its config file does not set them. */
export const defaultLimits: RelayLimits = Object.freeze({
  maxFrameBytes: mebibyte,
  messagesPerSecondPerPeer: 200,
  bytesPerSecondPerPeer: 4 * mebibyte,
  peersPerUser: 10,
  loadedDocuments: 2000,
  unknownDocumentsPerMinute: 60,
  maxConnections: 1000,
})

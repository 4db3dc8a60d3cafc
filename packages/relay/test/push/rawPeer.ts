import { once } from 'node:events'
import * as Automerge from '@automerge/automerge'
import { cbor } from '@automerge/automerge-repo/slim'
import { WebSocket } from 'ws'

/** A decoded message from the relay. */
export type RawMessage = Record<string, unknown> & { type: string }

/**
 * A peer on a raw `ws` socket that speaks automerge-repo's join/peer handshake in CBOR, as a
 * Rowsync device does (with `rowsync` in its metadata) or a stock client would (without).
 * @param url - the relay's sync URL with the user's token
 * @param peerMetadata - what the join declares
 * @param onClose - registers the socket's closing with the test's cleanups
 */
export async function joinRawPeer(
  url: string,
  peerId: string,
  peerMetadata: Record<string, unknown>,
  onClose: (close: () => Promise<void>) => void,
) {
  const socket = new WebSocket(url)
  onClose(async () => {
    socket.close()
    if (socket.readyState !== WebSocket.CLOSED) await once(socket, 'close')
  })
  await once(socket, 'open')
  const messages: RawMessage[] = []
  let wake: () => void = () => undefined
  socket.on('message', (data: Buffer) => {
    messages.push(cbor.decode<RawMessage>(data))
    wake()
  })
  const send = (message: Record<string, unknown>) => socket.send(Buffer.from(cbor.encode(message)))
  /** The first message received (so far or next) that `matches`. */
  const waitFor = async (matches: (message: RawMessage) => boolean): Promise<RawMessage> => {
    for (;;) {
      const found = messages.find(matches)
      if (found) return found
      await new Promise<void>((resolve) => (wake = resolve))
    }
  }
  send({ type: 'join', senderId: peerId, peerMetadata, supportedProtocolVersions: ['1'] })
  const peer = await waitFor((message) => message.type === 'peer')
  const relayPeerId = String(peer.senderId)

  /**
   * Asks the relay for a document it does not hold and waits for the answer: every message
   * the relay queued for this socket before is then received (one socket is in order).
   */
  const roundTrip = async (documentId: string) => {
    const [, data] = Automerge.generateSyncMessage(Automerge.init(), Automerge.initSyncState())
    send({ type: 'request', senderId: peerId, targetId: relayPeerId, documentId, data })
    await waitFor((message) => message.documentId === documentId && message.type !== 'request')
  }
  return { socket, messages, waitFor, roundTrip, relayPeerId }
}

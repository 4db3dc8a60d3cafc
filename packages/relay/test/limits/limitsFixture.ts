import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repo } from '@automerge/automerge-repo'
import type { DocumentId, PeerId, RepoMessage } from '@automerge/automerge-repo'
import { pino } from 'pino'
import { WebSocketServer } from 'ws'
import { RelayStorageAdapter } from '../../src/storage/RelayStorageAdapter.ts'
import { RelayNetworkAdapter } from '../../src/sync/RelayNetworkAdapter.ts'
import type { InspectVerdict, RelayPeer } from '../../src/sync/RelayNetworkAdapter.ts'
import { relayWebSocketServerOptions } from '../../src/sync/network/relayWebSocketServerOptions.ts'
import { RELAY_PEER_ID } from '../network/relayFixture.ts'

type Cleanup = (cleanup: () => Promise<void> | void) => void

/** How the relay under test decides; defaults: every message passes, every peer may access. */
export interface LimitsRelayOptions {
  readonly inspect?: (peer: RelayPeer, message: RepoMessage) => Promise<InspectVerdict>
  readonly access?: (peerId: PeerId, documentId: DocumentId) => Promise<boolean>
  /** Storage directory to reuse; a fresh temporary one by default. */
  readonly directory?: string
}

/**
 * Starts a relay on loopback the way startRelay wires one: a RelayNetworkAdapter behind a `ws`
 * server (the user comes from the `user` query parameter), a Repo on RelayStorageAdapter that
 * never announces documents. Everything stops when the test ends; ready documents are flushed
 * first (Repo.shutdown would throw on the handles of ids nobody holds).
 */
export async function startLimitsRelay(onTestFinished: Cleanup, options: LimitsRelayOptions = {}) {
  const logger = pino({ level: 'silent' })
  const network = new RelayNetworkAdapter({
    logger,
    ...(options.inspect === undefined ? {} : { inspect: options.inspect }),
    // Tests send bursts far above a device's rate; the limits under test are others.
    messagesPerSecondPerPeer: 100_000,
    maxQueuedMessagesPerPeer: 100_000,
  })
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'rowsync-limits-')))
  const storage = await RelayStorageAdapter.open(directory)
  const repo = new Repo({
    network: [network],
    storage,
    peerId: RELAY_PEER_ID,
    shareConfig: {
      announce: () => Promise.resolve(false),
      access: options.access ?? (() => Promise.resolve(true)),
    },
  })
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    ...relayWebSocketServerOptions({}),
  })
  server.on('connection', (socket, request) => {
    const user = new URL(request.url ?? '/', 'http://relay').searchParams.get('user') ?? 'anon'
    network.accept(socket, { id: user, roles: ['member'] })
  })
  await new Promise<void>((resolve) => server.once('listening', resolve))
  await network.whenReady()
  const { port } = server.address() as AddressInfo
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    network.disconnect()
    for (const client of server.clients) client.terminate()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    const ready = Object.values(repo.handles).filter((handle) => handle.isReady())
    await repo.flush(ready.map((handle) => handle.documentId))
    await storage.close()
  }
  onTestFinished(async () => {
    await close()
    if (options.directory === undefined) await rm(directory, { recursive: true, force: true })
  })
  const urlFor = (user: string) => `ws://127.0.0.1:${port}/?user=${encodeURIComponent(user)}`
  return { network, repo, storage, directory, logger, urlFor, close }
}

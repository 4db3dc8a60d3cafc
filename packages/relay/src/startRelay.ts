import { createServer, type IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { join } from 'node:path'
import * as Automerge from '@automerge/automerge'
import {
  Repo,
  type DocumentId,
  type PeerId,
  type RepoMessage,
} from '@automerge/automerge-repo/slim'
import type { RowDocument, UserIdentity } from '@rowsync/schema'
import type { Logger } from 'pino'
import { WebSocketServer } from 'ws'
import { createTokenVerifier } from './auth/createTokenVerifier.ts'
import { isOriginAllowed } from './auth/isOriginAllowed.ts'
import { selectSubprotocol } from './auth/selectSubprotocol.ts'
import { tokenFromRequest } from './auth/tokenFromRequest.ts'
import type { RelayConfig } from './config/RelayConfig.ts'
import { createFeedRouter } from './feed/createFeedRouter.ts'
import { Feed } from './feed/Feed.ts'
import { NotifyingStorageAdapter } from './feed/NotifyingStorageAdapter.ts'
import { RowDocuments } from './feed/RowDocuments.ts'
import { createHttpApp } from './http/createHttpApp.ts'
import { createProfileRouter } from './http/createProfileRouter.ts'
import { RelayMetrics, type RefusalReason } from './http/RelayMetrics.ts'
import { createRowsRouter } from './http/rows/createRowsRouter.ts'
import { RelayStorageAdapter } from './storage/RelayStorageAdapter.ts'
import { DocumentEvictor } from './sync/DocumentEvictor.ts'
import {
  RelayNetworkAdapter,
  type InspectVerdict,
  type RelayPeer,
} from './sync/RelayNetworkAdapter.ts'
import { relayWebSocketServerOptions } from './sync/network/relayWebSocketServerOptions.ts'
import { recordNetworkMetrics } from './sync/recordNetworkMetrics.ts'
import { ChangePusher } from './sync/ChangePusher.ts'
import { createUploadRouter } from './sync/createUploadRouter.ts'
import { RowGuard } from './sync/RowGuard.ts'
import { RowUploader } from './sync/RowUploader.ts'
import { UnknownDocumentLimiter } from './sync/UnknownDocumentLimiter.ts'

/** What {@link startRelay} needs to serve one relay. */
export interface StartRelayOptions {
  readonly config: RelayConfig
  /** The port to listen on; 0 picks a free one. */
  readonly port: number
  /** Where the embedded storage lives; created if missing. */
  readonly dataDirectory: string
  /** The HS256 token secret, from env RELAY_AUTH_SECRET only (never the config file). */
  readonly authSecret: string | undefined
  readonly logger: Logger
  /** The interface to listen on. Default `0.0.0.0`. */
  readonly host?: string
  /** A built web app served at `/` (see `createHttpApp`). Default: none. */
  readonly appDirectory?: string
}

/** A running relay. */
export interface RunningRelay {
  /** The relay's HTTP base URL; the sync WebSocket is at `/sync`. */
  readonly url: string
  /** Stops accepting, flushes storage and closes; acknowledged data survives a restart. */
  close(): Promise<void>
}

/** The WebSocket path of sync. */
export const syncPath = '/sync'

function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${message}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  )
}

/** The Automerge changes a sync-carrying message brings, or an error naming why it is unreadable. */
function changesOf(message: RepoMessage): Uint8Array[] | Error {
  if (message.type !== 'sync' && message.type !== 'request') return []
  try {
    return Automerge.decodeSyncMessage(message.data).changes
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error))
  }
}

/**
 * Starts the relay: the HTTP API and WebSocket sync (automerge-repo's protocol at `/sync`) on
 * one port, with embedded LMDB storage under `dataDirectory`. Every upgrade is authenticated
 * and Origin-checked before the WebSocket exists; every document request is authorized per
 * row; every change is validated against the schema and the user's write permission before
 * the relay's repo sees it. Every change the repo saves is recorded in the feed, which the
 * authenticated API serves with the snapshot and the rows API (`createFeedRouter`,
 * `createRowsRouter`).
 * @param options - see {@link StartRelayOptions}
 * @throws when storage cannot be opened or the port cannot be bound
 */
export async function startRelay(options: StartRelayOptions): Promise<RunningRelay> {
  const { config, logger } = options
  const { limits } = config
  const storage = await RelayStorageAdapter.open(join(options.dataDirectory, 'relay'))
  const metrics = new RelayMetrics()
  const verifier = createTokenVerifier({
    ...(options.authSecret === undefined ? {} : { secret: options.authSecret }),
    ...config.auth,
    logger,
  })
  let accepting = true
  const usersByPeer = new Map<PeerId, UserIdentity>()

  // The guard reads the repo's live documents; the repo asks the guard who may read what.
  const guard = new RowGuard({
    schema: config.schema,
    rules: config.permissions,
    storage,
    current: (documentId) => liveDocument(documentId),
  })
  function liveDocument(documentId: string): Automerge.Doc<RowDocument> | undefined {
    const handle = repo.handles[documentId as DocumentId]
    return handle?.isReady() ? (handle.doc() as Automerge.Doc<RowDocument>) : undefined
  }

  // The feed records a row after the repo saved its change, whichever way the change came
  // (sync, HTTP write); see NotifyingStorageAdapter for why saves and not handle events.
  const documents = new RowDocuments({ schema: config.schema, storage, live: liveDocument })
  const feed = await Feed.open({
    storage,
    logger,
    project: (documentId) => documents.project(documentId),
  })
  const repoStorage = new NotifyingStorageAdapter(
    storage,
    async (documentId) => {
      guard.forget(documentId)
      await feed.record(documentId)
    },
    logger,
  )

  const refuse = (reason: RefusalReason, message: string): InspectVerdict => {
    metrics.refusedMessages.inc({ reason })
    return { refuse: message }
  }
  const unknownDocuments = new UnknownDocumentLimiter({
    perWindow: limits.unknownDocumentsPerMinute,
  })
  const inspect = async (peer: RelayPeer, message: RepoMessage): Promise<InspectVerdict> => {
    usersByPeer.set(peer.peerId, peer.user)
    // A request is a peer asking for a document it has not got; uploads are 'sync' messages.
    if (
      message.type === 'request' &&
      !(await guard.holds(message.documentId)) &&
      !unknownDocuments.allow(peer.peerId, message.documentId, performance.now())
    ) {
      return refuse('unknown_documents', 'too many requests for unknown documents')
    }
    const changes = changesOf(message)
    if (changes instanceof Error) {
      return refuse('unreadable', `unreadable sync message: ${changes.message}`)
    }
    if (changes.length === 0 || !('documentId' in message)) return 'pass'
    const check = await guard.checkChanges(peer.user, message.documentId, changes)
    if (!check.ok) return refuse('changes', check.reason)
    // A new row: adopt the checked document so its handle is ready (and stored) before the
    // sync message reaches a handle that found nothing in storage and gave up.
    if (check.created) {
      const created = repo.import(check.created, { docId: message.documentId })
      created.doneLoading()
      pusher.accepted(created, [])
    }
    guard.forget(message.documentId)
    logger.debug(
      { user: peer.user.id, documentId: message.documentId, changes: changes.length },
      'Accepted changes',
    )
    return 'pass'
  }

  const network = new RelayNetworkAdapter({
    logger,
    inspect,
    maxFrameBytes: limits.maxFrameBytes,
    messagesPerSecondPerPeer: limits.messagesPerSecondPerPeer,
    bytesPerSecondPerPeer: limits.bytesPerSecondPerPeer,
    peersPerUser: limits.peersPerUser,
    maxConnections: limits.maxConnections,
  })
  network.on('refused', ({ user, documentId, reason }) => {
    // Every other refusal was counted where inspect made it.
    if (reason === 'internal error') metrics.refusedMessages.inc({ reason: 'internal' })
    logger.warn({ user: user.id, documentId, reason }, 'Refused a message')
  })
  network.on('peer-disconnected', ({ peerId }) => {
    usersByPeer.delete(peerId)
    unknownDocuments.forget(peerId)
  })

  const repo = new Repo({
    storage: repoStorage,
    network: [network],
    peerId: 'rowsync-relay' as PeerId,
    shareConfig: {
      // The relay never offers documents; a peer gets a row only by asking for it.
      announce: () => Promise.resolve(false),
      access: async (peerId, documentId) => {
        const user = usersByPeer.get(peerId)
        if (!user) return false
        if (await guard.mayRead(user, documentId)) return true
        // A row the relay does not hold yet may be created by a writer; its changes are checked.
        return !(await guard.holds(documentId)) && guard.mayCreate(user)
      },
    },
  })
  // Pushes every accepted change to the Rowsync devices that may read the row, at once.
  const pusher = new ChangePusher({
    repo,
    network,
    schema: config.schema,
    rules: config.permissions,
    logger,
  })
  const uploader = new RowUploader({
    repo,
    guard,
    holds: (documentId) => documents.holds(documentId),
    accepted: pusher.accepted,
    storage,
    record: (documentId, projection) => feed.record(documentId, projection),
    stored: pusher.stored,
    logger,
  })
  const evictor = new DocumentEvictor(repo, {
    maxLoadedDocuments: limits.loadedDocuments,
    logger,
  })
  recordNetworkMetrics(metrics, { network, repo, feed })

  const app = createHttpApp({
    logger,
    verifier,
    origins: config.origins,
    metrics,
    isReady: () => accepting,
    appDirectory: options.appDirectory,
    schema: config.schema.definition,
    demo: {
      enabled: config.demo.enabled,
      secret: options.authSecret,
      users: config.demo.users.map((user) => ({ id: user.id, roles: [...user.roles] })),
    },
    routes: [
      createFeedRouter({ feed, documents, rules: config.permissions, logger }),
      createProfileRouter({
        rules: config.permissions,
        syncIntervalMinutes: config.syncIntervalMinutes,
      }),
      createUploadRouter({ uploader }),
      createRowsRouter({
        schema: config.schema,
        rules: config.permissions,
        repo,
        documents,
        feed,
        accepted: pusher.accepted,
      }),
    ],
  })
  await feed.backfill()
  const server = createServer(app)
  const sockets = new WebSocketServer({
    ...relayWebSocketServerOptions({ maxFrameBytes: limits.maxFrameBytes }),
    noServer: true,
    handleProtocols: (offered) => selectSubprotocol(offered),
  })

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    void (async () => {
      const path = new URL(request.url ?? '/', 'http://relay').pathname
      if (!accepting) return refuseUpgrade(socket, 503, 'Service Unavailable')
      if (path !== syncPath) return refuseUpgrade(socket, 404, 'Not Found')
      if (!isOriginAllowed(request.headers.origin, config.origins)) {
        return refuseUpgrade(socket, 403, 'Forbidden')
      }
      const token = tokenFromRequest(request)
      const result = token === undefined ? undefined : await verifier.verify(token)
      if (!result?.ok) return refuseUpgrade(socket, 401, 'Unauthorized')
      sockets.handleUpgrade(request, socket, head, (webSocket) => {
        network.accept(webSocket, result.user)
      })
    })().catch((error: unknown) => {
      logger.error({ error }, 'WebSocket upgrade failed')
      socket.destroy()
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : options.port
  const url = `http://${options.host === undefined || options.host === '0.0.0.0' ? 'localhost' : options.host}:${port}`
  logger.info({ url, dataDirectory: options.dataDirectory }, 'Relay listening')

  return {
    url,
    close: async () => {
      if (!accepting) return
      accepting = false
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const client of sockets.clients) client.close(1001, 'relay shutting down')
      network.disconnect()
      server.closeAllConnections()
      await closed
      await evictor.stop()
      pusher.stop()
      // Only documents that finished loading have anything to flush; Repo.shutdown would
      // also try the handles of ids peers asked for in vain, and throw.
      const ready = Object.values(repo.handles).filter((handle) => handle.isReady())
      await repo.flush(ready.map((handle) => handle.documentId))
      await feed.close()
      await storage.close()
      logger.info('Relay closed')
    },
  }
}

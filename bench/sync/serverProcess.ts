// A sync server alone in its process, for SyncServer.ts: receives a ServerStart over IPC, starts
// a Rowsync relay or a stock automerge-repo sync server on loopback, answers 'started' with its
// URL, then answers requests until the parent kills it.
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { Repo, type DocHandle, type DocumentId } from '@automerge/automerge-repo'
import { WebSocketServerAdapter } from '@automerge/automerge-repo-network-websocket'
import { exampleConfig, parseRelayConfig, startRelay } from '@rowsync/relay'
import { pino } from 'pino'
import { WebSocketServer } from 'ws'
import { stockStorage } from './syncFixtures.ts'
import type { ServerAnswer, ServerControl, ServerRequest, ServerStart } from './SyncServer.ts'

/** How often the stock server looks whether it holds the documents a client uploads. */
const heldPollMs = 10

function send(answer: ServerAnswer): void {
  process.send?.(answer)
}

async function startRowsyncRelay(start: Extract<ServerStart, { system: 'rowsync-relay' }>) {
  const parsed = parseRelayConfig(exampleConfig)
  if (!parsed.ok) throw new Error(`example config: ${JSON.stringify(parsed.issues)}`)
  const relay = await startRelay({
    config: { ...parsed.config, demo: { enabled: true, users: [...start.users] } },
    port: 0,
    host: '127.0.0.1',
    dataDirectory: start.dataDirectory,
    authSecret: randomBytes(32).toString('hex'),
    logger: pino({ level: 'silent' }),
  })
  send({ type: 'started', url: relay.url })
  return () => relay.close()
}

/**
 * A stock sync server as automerge-repo's own sync-server example sets one up: a `Repo` with a
 * `WebSocketServerAdapter` on a `ws` server, announcing nothing, loading documents from its
 * storage when a client asks for them (see `stockStorage`).
 */
async function startStockServer(start: Extract<ServerStart, { system: 'automerge-repo' }>) {
  const sockets = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await once(sockets, 'listening')
  const address = sockets.address()
  if (typeof address !== 'object' || address === null)
    throw new Error('the WebSocket server has no port')
  const repo = new Repo({
    storage: await stockStorage(start.documents),
    network: [
      new WebSocketServerAdapter(
        sockets as unknown as ConstructorParameters<typeof WebSocketServerAdapter>[0],
      ),
    ],
    sharePolicy: () => Promise.resolve(false),
  })
  const handle = (documentId: string): DocHandle<{ title?: string }> | undefined =>
    repo.handles[documentId as DocumentId] as DocHandle<{ title?: string }> | undefined
  const held = (documentIds: readonly string[]) =>
    documentIds.filter((documentId) => {
      const found = handle(documentId)
      return found !== undefined && found.isReady() && (found.heads()?.length ?? 0) > 0
    }).length

  process.on('message', (request: ServerRequest | ServerControl) => {
    switch (request.type) {
      case 'close':
        return // stops the process: see the listener added once started
      case 'wait-for-documents': {
        const deadline = performance.now() + request.timeoutMs
        const look = () => {
          const count = held(request.documentIds)
          if (count === request.documentIds.length || performance.now() > deadline) {
            send({ type: 'held', held: count })
          } else setTimeout(look, heldPollMs)
        }
        look()
        return
      }
      case 'change-titles':
        void Promise.all(
          request.documentIds.map(async (documentId) => {
            const found = await repo.find<{ title?: string }>(documentId as DocumentId)
            found.change((doc) => {
              doc.title = request.title
            })
          }),
        ).then(
          () => send({ type: 'changed' }),
          (error: unknown) => send({ type: 'failed', error: String(error) }),
        )
        return
    }
  })
  send({ type: 'started', url: `http://127.0.0.1:${address.port}` })
  // Documents live in memory only: nothing to flush, and a busy repo may never shut down.
  return () => Promise.resolve()
}

// The parent went away (it finished or crashed): nothing is left to serve.
process.once('disconnect', () => process.exit(0))

process.once('message', (start: ServerStart) => {
  const started =
    start.system === 'rowsync-relay' ? startRowsyncRelay(start) : startStockServer(start)
  started.then(
    (stop) => {
      process.on('message', (message: ServerRequest | ServerControl) => {
        if (message.type === 'close') void stop().finally(() => process.exit(0))
      })
    },
    (error: unknown) => {
      send({
        type: 'failed',
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      })
    },
  )
})

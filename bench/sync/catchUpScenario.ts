import { Repo, type DocHandle, type DocumentId } from '@automerge/automerge-repo'
import { repeat, type Measurement } from '../measure.ts'
import type { BenchCase, MeasureOptions, Scenario } from '../Scenario.ts'
import { removeDirectory } from '../storage.ts'
import { copyDirectory } from './seedRelay.ts'
import { prepareSyncCase, rowCases, syncSystems, type SyncFixture } from './syncCase.ts'
import { startSyncServer } from './SyncServer.ts'
import {
  connectStockClient,
  findAll,
  RunFailed,
  stockStorage,
  demoToken,
  inSync,
  measureOrFail,
  openDevice,
  runTimeout,
  shutDown,
  startRowsyncRelay,
  syncDevice,
  withTimeout,
  workOrderId,
  workOrders,
} from './syncFixtures.ts'
import { countMessages, startCountingProxy } from './traffic.ts'

const operation = 'catch-up'

/** Rows changed elsewhere while the device was offline. */
const changedRows = 100

/** The indexes of the changed rows, spread over the table. */
function changedIndexes(rows: number): number[] {
  const count = Math.min(changedRows, rows)
  return Array.from({ length: count }, (_, index) => Math.floor((index * rows) / count))
}

/** Resolves once every handle's title is `title`. */
function titlesAre(handles: ReadonlyArray<DocHandle<{ title?: string }>>, title: string) {
  return Promise.all(
    handles.map(
      (handle) =>
        new Promise<void>((resolve) => {
          const check = () => {
            if (handle.doc().title !== title) return
            handle.off('change', check)
            resolve()
          }
          handle.on('change', check)
          check()
        }),
    ),
  )
}

async function measureRowsync(
  benchCase: BenchCase,
  fixture: SyncFixture,
  options: MeasureOptions,
): Promise<Measurement[]> {
  const messages = countMessages()
  let run = 0
  try {
    return await repeat(
      { system: 'rowsync-relay', benchCase, ...options },
      async ({ time, record }) => {
        const title = `Changed in run ${run++}`
        const relayDirectory = await copyDirectory(fixture.relayDirectory)
        const directory = await copyDirectory(fixture.deviceDirectory)
        const relay = await startRowsyncRelay(relayDirectory)
        // At the URL the device knows the relay by, so its feed cursor counts.
        const proxy = await startCountingProxy(relay.url, fixture.relayPort)
        try {
          // Another dispatcher changes the rows through the relay's rows API.
          const editor = await demoToken(relay.url, 'dispatcher-1')
          const indexes = changedIndexes(benchCase.rows)
          for (const index of indexes) {
            const response = await fetch(
              `${relay.url}/v1/tables/${workOrders}/rows/${workOrderId(index)}`,
              {
                method: 'PUT',
                headers: { Authorization: `Bearer ${editor}`, 'Content-Type': 'application/json' },
                body: JSON.stringify({ values: { title } }),
              },
            )
            if (!response.ok) throw new Error(`catch-up: editing a row: HTTP ${response.status}`)
          }
          const database = await openDevice(directory, fixture.user)
          const token = await demoToken(relay.url, fixture.user)
          try {
            proxy.reset()
            messages.reset()
            await time(operation, async () => {
              const since = Date.now()
              const sync = syncDevice(database, proxy.url, token)
              try {
                await withTimeout(
                  inSync(sync, since),
                  runTimeout(indexes.length),
                  `catch-up of ${indexes.length} rows`,
                )
              } finally {
                await sync.stop()
              }
            })
            const table = database.table(workOrders)
            const stale = indexes.filter((index) => table.get(workOrderId(index))?.title !== title)
            if (stale.length > 0) {
              throw new Error(`catch-up: ${stale.length} changed rows did not arrive`)
            }
            record(operation, {
              wire: proxy.bytesToDevices / indexes.length,
              httpRequests: messages.httpRequests,
              webSocketMessages: messages.webSocketMessages,
            })
          } finally {
            await database.close()
          }
        } finally {
          await proxy.close()
          await relay.close()
          await removeDirectory(directory)
          await removeDirectory(relayDirectory)
        }
      },
    )
  } finally {
    messages.stop()
  }
}

async function measureStock(
  benchCase: BenchCase,
  fixture: SyncFixture,
  options: MeasureOptions,
): Promise<Measurement[]> {
  const messages = countMessages()
  let run = 0
  try {
    return await repeat(
      { system: 'automerge-repo', benchCase, ...options },
      async ({ time, record }) => {
        const title = `Changed in run ${run++}`
        const server = await startSyncServer({
          system: 'automerge-repo',
          documents: fixture.documents,
        })
        const proxy = await startCountingProxy(server.url)
        // The device keeps every row in its storage, as it did before it went offline.
        const client = new Repo({ storage: await stockStorage(fixture.documents) })
        try {
          const documentIds = fixture.documents.map(({ documentId }) => documentId)
          const changed = changedIndexes(benchCase.rows).map((index) => documentIds[index]!)
          // The changes reached the server from another device while this one was offline.
          await server.request({ type: 'change-titles', documentIds: changed, title })
          proxy.reset()
          messages.reset()
          await time(operation, async () => {
            // Opening its rows (every `find`) is what makes a stock client sync them: it cannot
            // know which changed without syncing each.
            const catchUp = async () => {
              await connectStockClient(client, proxy.url)
              const { failed } = await findAll(client, documentIds)
              if (failed > 0) throw new RunFailed(`${failed} finds failed`)
              const handles = changed.map(
                (documentId) =>
                  client.handles[documentId as DocumentId] as DocHandle<{ title?: string }>,
              )
              await titlesAre(handles, title)
            }
            await withTimeout(
              catchUp(),
              runTimeout(changed.length),
              `catch-up of ${changed.length} rows`,
            )
          })
          record(operation, {
            wire: proxy.bytesToDevices / changed.length,
            httpRequests: messages.httpRequests,
            webSocketMessages: messages.webSocketMessages,
          })
        } finally {
          await shutDown(() => client.shutdown())
          await proxy.close()
          await server.close()
        }
      },
    )
  } finally {
    messages.stop()
  }
}

/** A device holding many rows catching up with a few changed while it was offline. */
export const catchUpScenario: Scenario<SyncFixture> = {
  name: 'catch-up',
  description:
    'A device holding `rows` work orders comes back online after 100 of them (spread over the ' +
    'table) changed on the server; timed from connecting until the device holds every change ' +
    'and is in sync. Rowsync: the LMDB device that created the rows, with its feed cursor; the ' +
    'changes were made by another dispatcher through the relay’s rows API. Stock ' +
    'automerge-repo: a client holding the same documents in its storage, the changes made on ' +
    'the server; it syncs a row when it opens it, so it opens (`find`s) every row, 50 at a ' +
    'time. Wire bytes are per changed row; HTTP requests and WebSocket messages are what the ' +
    'device exchanged, counted in its process. A run over 20 s fails.',
  systems: syncSystems,
  cases: (options) => rowCases({ quick: [1_000, 10_000], full: [1_000, 10_000, 100_000] }, options),
  prepare: (benchCase, systems) => prepareSyncCase(benchCase.rows, systems),
  measure(benchCase, system, fixture, options) {
    const measure = system === 'rowsync-relay' ? measureRowsync : measureStock
    return measureOrFail(system, benchCase, operation, () => measure(benchCase, fixture, options))
  },
}

import { Repo } from '@automerge/automerge-repo'
import { repeat, type Measurement } from '../measure.ts'
import type { BenchCase, MeasureOptions, Scenario } from '../Scenario.ts'
import { removeDirectory, temporaryDirectory } from '../storage.ts'
import { copyDirectory } from './seedRelay.ts'
import { prepareSyncCase, rowCases, syncSystems, type SyncFixture } from './syncCase.ts'
import { startSyncServer } from './SyncServer.ts'
import {
  connectStockClient,
  demoToken,
  findAll,
  inSync,
  measureOrFail,
  openDevice,
  RunFailed,
  runTimeout,
  shutDown,
  startRowsyncRelay,
  syncDevice,
  withTimeout,
  workOrders,
} from './syncFixtures.ts'
import { countMessages, startCountingProxy } from './traffic.ts'

const operation = 'download'

async function measureRowsync(
  benchCase: BenchCase,
  fixture: SyncFixture,
  options: MeasureOptions,
): Promise<Measurement[]> {
  const relayDirectory = await copyDirectory(fixture.relayDirectory)
  const relay = await startRowsyncRelay(relayDirectory)
  const proxy = await startCountingProxy(relay.url)
  const messages = countMessages()
  try {
    // The device of a dispatcher who has not synced before.
    const token = await demoToken(relay.url, 'dispatcher-1')
    return await repeat(
      { system: 'rowsync-relay', benchCase, ...options },
      async ({ time, record }) => {
        const directory = await temporaryDirectory()
        const database = await openDevice(directory, 'dispatcher-1')
        try {
          proxy.reset()
          messages.reset()
          await time(operation, async () => {
            const since = Date.now()
            const sync = syncDevice(database, proxy.url, token)
            try {
              await withTimeout(
                inSync(sync, since),
                runTimeout(benchCase.rows),
                `download of ${benchCase.rows} rows`,
              )
            } finally {
              await sync.stop()
            }
          })
          const rows = database.table(workOrders).count()
          if (rows !== benchCase.rows) {
            throw new Error(`download: the device holds ${rows} rows, expected ${benchCase.rows}`)
          }
          record(operation, {
            wire: proxy.bytesToDevices / benchCase.rows,
            httpRequests: messages.httpRequests,
            webSocketMessages: messages.webSocketMessages,
          })
        } finally {
          await database.close()
          await removeDirectory(directory)
        }
      },
    )
  } finally {
    messages.stop()
    await proxy.close()
    await relay.close()
    await removeDirectory(relayDirectory)
  }
}

async function measureStock(
  benchCase: BenchCase,
  fixture: SyncFixture,
  options: MeasureOptions,
): Promise<Measurement[]> {
  const server = await startSyncServer({ system: 'automerge-repo', documents: fixture.documents })
  const proxy = await startCountingProxy(server.url)
  const messages = countMessages()
  try {
    return await repeat(
      { system: 'automerge-repo', benchCase, ...options },
      async ({ time, record }) => {
        const client = new Repo()
        try {
          proxy.reset()
          messages.reset()
          await time(operation, async () => {
            const download = async () => {
              await connectStockClient(client, proxy.url)
              return findAll(
                client,
                fixture.documents.map(({ documentId }) => documentId),
              )
            }
            const { failed } = await withTimeout(
              download(),
              runTimeout(benchCase.rows),
              `download of ${benchCase.rows} rows`,
            )
            if (failed > 0) throw new RunFailed(`${failed} of ${benchCase.rows} finds failed`)
          })
          record(operation, {
            wire: proxy.bytesToDevices / benchCase.rows,
            httpRequests: messages.httpRequests,
            webSocketMessages: messages.webSocketMessages,
          })
        } finally {
          await shutDown(() => client.shutdown())
        }
      },
    )
  } finally {
    messages.stop()
    await proxy.close()
    await server.close()
  }
}

/** A fresh device getting every row a server holds. */
export const downloadScenario: Scenario<SyncFixture> = {
  name: 'download',
  description:
    'A fresh Node device gets every one of `rows` work orders from a server on loopback (in a ' +
    'process of its own), connecting included. Rowsync: a relay (example config, LMDB data ' +
    'directory on disk, seeded through sync) and a new device on LMDB (`startSync` until ' +
    'connected and in sync: snapshot, feed, live socket). Stock automerge-repo: its ' +
    '`WebSocketServerAdapter` server holding one plain document per row in memory, and a new ' +
    'in-memory client `find`ing every document, 50 in flight. Wire bytes: what the server ' +
    'sends the device (TCP, counted by a proxy), per row. A run that takes more than 20 s ' +
    '(3 ms a row above 6,667 rows) or loses a row fails. The warm-up run downloads every row too.',
  systems: syncSystems,
  cases: (options) => rowCases({ quick: [1_000, 10_000], full: [1_000, 10_000, 100_000] }, options),
  prepare: (benchCase, systems) => prepareSyncCase(benchCase.rows, systems),
  measure(benchCase, system, fixture, options) {
    const measure = system === 'rowsync-relay' ? measureRowsync : measureStock
    return measureOrFail(system, benchCase, operation, () => measure(benchCase, fixture, options))
  },
}

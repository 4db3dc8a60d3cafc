import { Repo } from '@automerge/automerge-repo'
import { repeat, type Measurement } from '../measure.ts'
import type { BenchCase, MeasureOptions, Scenario } from '../Scenario.ts'
import { removeDirectory, temporaryDirectory } from '../storage.ts'
import { prepareSyncCase, rowCases, syncSystems, type SyncFixture } from './syncCase.ts'
import { startSyncServer } from './SyncServer.ts'
import {
  connectStockClient,
  demoToken,
  inSync,
  insertWorkOrders,
  measureOrFail,
  openDevice,
  RunFailed,
  runTimeout,
  shutDown,
  startRowsyncRelay,
  syncDevice,
  withTimeout,
  workOrderValues,
} from './syncFixtures.ts'
import { countMessages, startCountingProxy } from './traffic.ts'

const operation = 'upload'

async function measureRowsync(
  benchCase: BenchCase,
  options: MeasureOptions,
): Promise<Measurement[]> {
  const messages = countMessages()
  try {
    return await repeat(
      { system: 'rowsync-relay', benchCase, ...options },
      async ({ rows, time, record }) => {
        const relayDirectory = await temporaryDirectory()
        const directory = await temporaryDirectory()
        const relay = await startRowsyncRelay(relayDirectory)
        const proxy = await startCountingProxy(relay.url)
        const database = await openDevice(directory, 'dispatcher-0')
        try {
          await insertWorkOrders(database, rows)
          const token = await demoToken(relay.url, 'dispatcher-0')
          messages.reset()
          await time(operation, async () => {
            const since = Date.now()
            const sync = syncDevice(database, proxy.url, token)
            try {
              await withTimeout(inSync(sync, since), runTimeout(rows), `upload of ${rows} rows`)
            } finally {
              await sync.stop()
            }
          })
          record(operation, {
            wire: proxy.bytesFromDevices / rows,
            httpRequests: messages.httpRequests,
            webSocketMessages: messages.webSocketMessages,
          })
        } finally {
          await database.close()
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

/**
 * Creates work orders `0 .. rows - 1` in a stock client, one document each, untimed.
 * @throws {RunFailed} when that takes longer than `timeoutMs` (creating is superlinear in the
 * documents a `Repo` holds)
 */
function createOffline(client: Repo, rows: number, timeoutMs: number): string[] {
  const deadline = performance.now() + timeoutMs
  const documentIds: string[] = []
  for (let index = 0; index < rows; index++) {
    documentIds.push(client.create(workOrderValues(index)).documentId)
    if (index % 100 === 99 && performance.now() > deadline) {
      throw new RunFailed(
        `creating the rows offline took over ${timeoutMs / 1000} s at ${index + 1}`,
      )
    }
  }
  return documentIds
}

async function measureStock(benchCase: BenchCase, options: MeasureOptions): Promise<Measurement[]> {
  const messages = countMessages()
  try {
    return await repeat(
      { system: 'automerge-repo', benchCase, ...options },
      async ({ rows, time, record }) => {
        const server = await startSyncServer({ system: 'automerge-repo', documents: [] })
        const proxy = await startCountingProxy(server.url)
        const client = new Repo()
        try {
          const timeout = runTimeout(rows)
          const documentIds = createOffline(client, rows, timeout)
          messages.reset()
          await time(operation, async () => {
            await connectStockClient(client, proxy.url)
            const answer = await server.request({
              type: 'wait-for-documents',
              documentIds,
              timeoutMs: timeout,
            })
            const held = answer.type === 'held' ? answer.held : 0
            if (held < rows) {
              throw new RunFailed(
                `upload timed out after ${timeout / 1000} s with ${held} of ${rows} rows on the server`,
              )
            }
          })
          record(operation, {
            wire: proxy.bytesFromDevices / rows,
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

/** A device uploading rows it created offline. */
export const uploadScenario: Scenario<SyncFixture> = {
  name: 'upload',
  description:
    'A device that created `rows` work orders offline connects to an empty server on loopback ' +
    '(in a process of its own) and uploads them; timed from connecting until the server holds ' +
    'every row. Rowsync: an LMDB device (`startSync` until connected with nothing pending, ' +
    'i.e. the relay acknowledged every row durably on disk). Stock automerge-repo: an in-memory ' +
    'client `Repo` that `create`d one document per row, given its `WebSocketClientAdapter`; ' +
    'done when the in-memory server holds every document. Wire bytes: what the device sends, ' +
    'per row. A run over 20 s (3 ms a row above 6,667 rows) fails.',
  systems: syncSystems,
  cases: (options) => rowCases({ quick: [1_000, 10_000], full: [1_000, 10_000] }, options),
  prepare: (_benchCase, systems) => prepareSyncCase(0, systems),
  measure(benchCase, system, _fixture, options) {
    const measure = system === 'rowsync-relay' ? measureRowsync : measureStock
    return measureOrFail(system, benchCase, operation, () => measure(benchCase, options))
  },
}

import { Repo, type DocHandle, type DocumentId } from '@automerge/automerge-repo'
import type { Database, Sync } from '@rowsync/client'
import { percentile, repeat, type Measurement } from '../measure.ts'
import type { BenchCase, CaseOptions, MeasureOptions, Scenario } from '../Scenario.ts'
import { removeDirectory, temporaryDirectory } from '../storage.ts'
import { copyDirectory } from './seedRelay.ts'
import { prepareSyncCase, syncSystems, type SyncFixture } from './syncCase.ts'
import { startSyncServer } from './SyncServer.ts'
import {
  connectStockClient,
  demoToken,
  dispatchers,
  findAll,
  inSync,
  maxDevices,
  measureOrFail,
  openDevice,
  RunFailed,
  shutDown,
  startRowsyncRelay,
  syncDevice,
  withTimeout,
  workOrderId,
  workOrders,
} from './syncFixtures.ts'

const operation = 'edit reaches every device'

/** A delivery slower than this fails the run. */
const deliveryTimeoutMs = 10_000

type Target = 'many rows' | 'one row'

function parametersOf(benchCase: BenchCase): { devices: number; target: Target } {
  const { devices, edits } = benchCase.parameters
  if (typeof devices !== 'number' || (edits !== 'many rows' && edits !== 'one row')) {
    throw new Error(`latency: malformed case ${JSON.stringify(benchCase.parameters)}`)
  }
  return { devices, target: edits }
}

/**
 * Runs `rows` edits one after another on the first device and measures, for each, how long
 * until each other device sees it.
 * @param edit - makes edit `index` with `title`; resolves when the call returned
 * @param seen - resolves when device `device` sees `title` on the edited row
 */
async function editAndWatch(
  rows: number,
  target: Target,
  run: number,
  observers: number,
  edit: (index: number, title: string) => Promise<void>,
  seen: (device: number, index: number, title: string) => Promise<void>,
): Promise<number[]> {
  const latencies: number[] = []
  for (let edited = 0; edited < rows; edited++) {
    const index = target === 'one row' ? 0 : edited
    const title = `Run ${run}, edit ${edited}`
    const start = performance.now()
    const arrivals = Array.from({ length: observers }, (_, observer) =>
      seen(observer + 1, index, title).then(() => latencies.push(performance.now() - start)),
    )
    await edit(index, title)
    await withTimeout(Promise.all(arrivals), deliveryTimeoutMs, `edit ${edited}`)
  }
  return latencies
}

function latencyOf(latencies: readonly number[]) {
  return {
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    p99: percentile(latencies, 0.99),
  }
}

async function measureRowsync(
  benchCase: BenchCase,
  fixture: SyncFixture,
  options: MeasureOptions,
): Promise<Measurement[]> {
  const { devices, target } = parametersOf(benchCase)
  const relayDirectory = await copyDirectory(fixture.relayDirectory)
  const relay = await startRowsyncRelay(relayDirectory)
  const opened: Array<{ database: Database; sync: Sync; directory: string }> = []
  try {
    for (const user of dispatchers(devices)) {
      const directory = await temporaryDirectory()
      const database = await openDevice(directory, user.id)
      const since = Date.now()
      const sync = syncDevice(database, relay.url, await demoToken(relay.url, user.id))
      opened.push({ database, sync, directory })
      await withTimeout(inSync(sync, since), 60_000, `device ${user.id} getting the rows`)
    }
    const tables = opened.map(({ database }) => database.table(workOrders))
    let run = 0
    return await repeat(
      { system: 'rowsync-relay', benchCase, ...options },
      async ({ rows, time, record }) => {
        let latencies: number[] = []
        await time(operation, async () => {
          latencies = await editAndWatch(
            rows,
            target,
            run++,
            devices - 1,
            async (index, title) => {
              await tables[0]!.update(workOrderId(index), { title })
            },
            (device, index, title) =>
              new Promise<void>((resolve) => {
                const unsubscribe = tables[device]!.subscribe(workOrderId(index), (row) => {
                  if (row?.title !== title) return
                  unsubscribe()
                  resolve()
                })
              }),
          )
        })
        record(operation, { latency: latencyOf(latencies) })
      },
    )
  } finally {
    for (const { database, sync, directory } of opened) {
      await sync.stop()
      await database.close()
      await removeDirectory(directory)
    }
    await relay.close()
    await removeDirectory(relayDirectory)
  }
}

async function measureStock(
  benchCase: BenchCase,
  fixture: SyncFixture,
  options: MeasureOptions,
): Promise<Measurement[]> {
  const { devices, target } = parametersOf(benchCase)
  const server = await startSyncServer({ system: 'automerge-repo', documents: fixture.documents })
  const clients: Repo[] = []
  const documentIds = fixture.documents.map(({ documentId }) => documentId)
  try {
    const handles: Array<Array<DocHandle<{ title?: string }>>> = []
    for (let device = 0; device < devices; device++) {
      const client = new Repo()
      clients.push(client)
      await connectStockClient(client, server.url)
      const found = await withTimeout(
        findAll(client, documentIds),
        60_000,
        `device ${device} finding the rows`,
      )
      if (found.failed > 0) throw new RunFailed(`device ${device}: ${found.failed} finds failed`)
      handles.push(
        documentIds.map(
          (documentId) => client.handles[documentId as DocumentId] as DocHandle<{ title?: string }>,
        ),
      )
    }
    let run = 0
    return await repeat(
      { system: 'automerge-repo', benchCase, ...options },
      async ({ rows, time, record }) => {
        let latencies: number[] = []
        await time(operation, async () => {
          latencies = await editAndWatch(
            rows,
            target,
            run++,
            devices - 1,
            (index, title) => {
              handles[0]![index]!.change((doc) => {
                doc.title = title
              })
              return Promise.resolve()
            },
            (device, index, title) =>
              new Promise<void>((resolve) => {
                const handle = handles[device]![index]!
                const check = () => {
                  if (handle.doc().title !== title) return
                  handle.off('change', check)
                  resolve()
                }
                handle.on('change', check)
              }),
          )
        })
        record(operation, { latency: latencyOf(latencies) })
      },
    )
  } finally {
    for (const client of clients) await shutDown(() => client.shutdown())
    await server.close()
  }
}

const editCounts: Record<CaseOptions['suite'], number> = { quick: 100, full: 500 }

/** How fast an edit on one device reaches the others, with 2 and 50 devices connected. */
export const latencyScenario: Scenario<SyncFixture> = {
  name: 'latency',
  description:
    '`devices` devices (one process) are connected to a server on loopback (in a process of ' +
    'its own) and hold the same `rows` work orders; the first device makes `rows` edits one ' +
    'after another (a new title), each on a different row (`many rows`) or all on one row ' +
    '(`one row`), and waits until every other device shows it. Latency: from the edit call ' +
    'until a device shows the new title, over every edit and device (p50/p95/p99). Rowsync: ' +
    'LMDB devices, `update` then the relay’s push. Stock automerge-repo: in-memory clients ' +
    'with `handle.change`, the other clients’ `change` events. A delivery over 10 s fails.',
  systems: syncSystems,
  cases: ({ suite, rows, devices }) =>
    (devices === undefined ? [2, maxDevices] : [devices]).flatMap((count) => {
      if (count < 2 || count > maxDevices) {
        throw new Error(`latency: --devices must be 2 to ${maxDevices}, got ${count}`)
      }
      return (['many rows', 'one row'] as const).map((edits) => ({
        rows: rows ?? editCounts[suite],
        parameters: { devices: count, edits },
      }))
    }),
  prepare: (benchCase, systems) => prepareSyncCase(benchCase.rows, systems),
  measure(benchCase, system, fixture, options) {
    const measure = system === 'rowsync-relay' ? measureRowsync : measureStock
    return measureOrFail(system, benchCase, operation, () => measure(benchCase, fixture, options))
  },
}

import * as Automerge from '@automerge/automerge'
import {
  generateAutomergeUrl,
  parseAutomergeUrl,
  type DocHandle,
  type DocumentId,
  type Repo,
} from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import {
  MemoryStorageAdapter,
  openDatabase,
  startSync,
  type Database,
  type Sync,
} from '@rowsync/client'
import { LmdbStorageAdapter } from '@rowsync/client/node'
import { exampleConfig, parseRelayConfig } from '@rowsync/relay'
import type { UserIdentity } from '@rowsync/schema'
import { statusWhere } from '../../test/sync/devices.ts'
import { failedMeasurement, type Measurement } from '../measure.ts'
import type { BenchCase } from '../Scenario.ts'
import { saveEntries } from '../storage.ts'
import type { SystemId } from '../systems.ts'
import { startSyncServer, type SyncServer } from './SyncServer.ts'

// What the sync scenarios share: the relay's example schema and its rows, demo users and
// tokens, Rowsync devices, stock automerge-repo clients, and timeouts that never hang.

/** The example config's schema, which the relay serves and devices open. */
export function exampleSchema() {
  const parsed = parseRelayConfig(exampleConfig)
  if (!parsed.ok) throw new Error(`example config: ${JSON.stringify(parsed.issues)}`)
  return parsed.config.schema
}

/** The table every sync scenario fills. */
export const workOrders = 'workOrders'

/** The id of work order `index`. */
export function workOrderId(index: number): string {
  return `wo-${index}`
}

/** The values work order `index` is created with (fields of the example config). */
export function workOrderValues(index: number) {
  return {
    title: `Work order ${index}`,
    status: 'open',
    priority: (index % 5) + 1,
    description: 'Check the valve and the pressure gauge.',
    technician: `tech-${index % 40}`,
    dueDate: `2026-${String((index % 12) + 1).padStart(2, '0')}-15`,
    estimateHours: (index % 8) + 0.5,
    billable: index % 3 !== 0,
  }
}

/** A row as a stock automerge-repo user keeps it: a plain document, saved, and its id. */
export interface StockDocument {
  readonly documentId: string
  readonly bytes: Uint8Array
}

/**
 * Work orders `0 .. rows - 1` as a stock automerge-repo user keeps them: one plain document
 * per row holding the same values, saved, with a new automerge-repo document id.
 */
export function stockDocuments(rows: number): StockDocument[] {
  return Array.from({ length: rows }, (_, index) => {
    const doc = Automerge.from(workOrderValues(index))
    const bytes = Automerge.save(doc)
    Automerge.free(doc)
    return { documentId: parseAutomergeUrl(generateAutomergeUrl()).documentId, bytes }
  })
}

/**
 * Storage holding stock documents where automerge-repo keeps them, so a `Repo` loads each
 * when it is first asked for, as one on `automerge-repo-storage-nodefs` would (that package is
 * not installed here; Rowsync's in-memory adapter, which passes the same conformance suite,
 * stands in). Importing every document into a `Repo` instead takes minutes at 2,000 documents.
 */
export async function stockStorage(
  documents: readonly StockDocument[],
): Promise<MemoryStorageAdapter> {
  const storage = new MemoryStorageAdapter()
  await saveEntries(
    storage,
    documents.map(({ documentId, bytes }) => ({
      key: [documentId, 'snapshot', Automerge.getHeads(Automerge.load(bytes)).join('')],
      data: bytes,
    })),
  )
  return storage
}

/** The most devices a scenario connects. */
export const maxDevices = 50

/** Dispatchers (write access to every row), one per device: the relay caps peers per user. */
export function dispatchers(count: number): UserIdentity[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `dispatcher-${index}`,
    roles: ['dispatcher'],
  }))
}

/** Thrown when a system does not finish an operation (in time); recorded as a failure. */
export class RunFailed extends Error {
  override readonly name = 'RunFailed'
}

/**
 * Measures with `work`, or records the system's failure when a run throws {@link RunFailed}.
 * @throws what `work` throws besides {@link RunFailed}
 */
export async function measureOrFail(
  system: SystemId,
  benchCase: BenchCase,
  operation: string,
  work: () => Promise<Measurement[]>,
): Promise<Measurement[]> {
  try {
    return await work()
  } catch (error) {
    if (!(error instanceof RunFailed)) throw error
    return [failedMeasurement(system, benchCase, operation, error.message)]
  }
}

/** How long one run of an operation over `rows` rows may take: 20 s, and 3 ms a row above. */
export function runTimeout(rows: number): number {
  return Math.max(20_000, rows * 3)
}

/**
 * Waits for `promise` at most `milliseconds`.
 * @param what - what is waited for, for the error: `download of 10,000 rows`
 * @throws {RunFailed} when it takes longer
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  milliseconds: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RunFailed(`${what} timed out after ${milliseconds / 1000} s`)),
      milliseconds,
    )
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Stops a client, giving up after 5 s (a stock client that failed may never stop). */
export async function shutDown(stop: () => Promise<unknown>): Promise<void> {
  await withTimeout(stop(), 5_000, 'shutdown').catch(() => undefined)
}

/** Starts a Rowsync relay on `dataDirectory` in its own process, with every bench user. */
export function startRowsyncRelay(dataDirectory: string): Promise<SyncServer> {
  return startSyncServer({ system: 'rowsync-relay', dataDirectory, users: dispatchers(maxDevices) })
}

/** A relay demo token for `user` (`POST /demo/token`; the relay runs in demo mode). */
export async function demoToken(relay: string, user: string): Promise<string> {
  const response = await fetch(`${relay}/demo/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user }),
  })
  if (!response.ok) throw new Error(`demo token for ${user}: HTTP ${response.status}`)
  return ((await response.json()) as { token: string }).token
}

/** A Rowsync device: a database on LMDB in `directory`, not syncing yet. */
export async function openDevice(directory: string, user: string): Promise<Database> {
  return openDatabase({
    schema: exampleSchema(),
    storage: await LmdbStorageAdapter.open(directory),
    user,
  })
}

/** Starts a device's sync with the relay at `relay` (which may be a proxy in front of it). */
export function syncDevice(database: Database, relay: string, token: string): Sync {
  return startSync(database, { relay, token: () => token, backoff: { initialMs: 20, maxMs: 200 } })
}

/** Resolves once a sync cycle finished and the device is live with nothing left to upload. */
export function inSync(sync: Sync, since: number): Promise<unknown> {
  return statusWhere(
    sync,
    (status) =>
      status.state === 'connected' &&
      status.pendingUpload === 0 &&
      (status.lastSyncedAt ?? 0) >= since,
  )
}

/** Inserts work orders `0 .. rows - 1`, 1,000 writes in flight. */
export async function insertWorkOrders(database: Database, rows: number): Promise<void> {
  const table = database.table(workOrders)
  for (let start = 0; start < rows; start += 1000) {
    const writes = []
    for (let index = start; index < Math.min(rows, start + 1000); index++) {
      writes.push(table.insert(workOrderValues(index), { id: workOrderId(index) }))
    }
    await Promise.all(writes)
  }
}

/** A stock automerge-repo client, in memory, connected to the stock server at `url`. */
export async function connectStockClient(repo: Repo, url: string): Promise<void> {
  const peered = new Promise<void>((resolve) => repo.networkSubsystem.once('peer', () => resolve()))
  repo.networkSubsystem.addNetworkAdapter(new WebSocketClientAdapter(url.replace(/^http/, 'ws')))
  await peered
}

/**
 * Finds documents the way a careful automerge-repo user would: 50 `find`s in flight (many
 * more make the stock client and server fall over).
 * @returns the handles found, and how many finds failed
 */
export async function findAll(
  repo: Repo,
  documentIds: readonly string[],
): Promise<{ handles: DocHandle<unknown>[]; failed: number }> {
  const handles: DocHandle<unknown>[] = []
  let failed = 0
  let next = 0
  const finder = async () => {
    while (next < documentIds.length) {
      const documentId = documentIds[next++] as DocumentId
      try {
        handles.push(await repo.find(documentId))
      } catch {
        failed++
      }
    }
  }
  await Promise.all(Array.from({ length: 50 }, finder))
  return { handles, failed }
}

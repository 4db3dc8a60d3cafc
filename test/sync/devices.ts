import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase, startSync, type Database, type Sync, type SyncStatus } from '@rowsync/client'
import { LmdbStorageAdapter } from '@rowsync/client/node'
import type { LifecycleRule, LifecycleSource } from '@rowsync/policies'
import type { Schema } from '@rowsync/schema'
import {
  relayConfig,
  type startTestRelay,
  type TestUser,
} from '../../packages/relay/test/testRelay.ts'

/** A relay on loopback plus devices that sync with it, for the sync suites. */
export type TestRelay = Awaited<ReturnType<typeof startTestRelay>>

/** A device: an open database on its own LMDB directory, syncing with the relay. */
export interface Device {
  readonly database: Database
  readonly sync: Sync
  readonly directory: string
  /** Stops syncing and closes the database (the directory stays for a reopen). */
  close(): Promise<void>
}

/** Options of {@link openDevice}. */
export interface DeviceOptions {
  /** Reopen the device kept in this directory. */
  readonly directory?: string
  readonly lifecycle?: LifecycleSource
  /** The relay URL; default the test relay's. */
  readonly relayUrl?: string
  /** The token source; default a fresh demo token of the user. */
  readonly token?: () => string | Promise<string>
  /** The device's schema; default the relay's. */
  readonly schema?: Schema
  /** The app's own sync rules. */
  readonly rules?: readonly LifecycleRule[]
}

/**
 * Opens a device of `user` that syncs with `relay`; `cleanups` closes it and removes its
 * directory at the end of the test.
 */
export async function openDevice(
  cleanups: Array<() => Promise<void>>,
  relay: TestRelay,
  user: TestUser,
  options: DeviceOptions = {},
): Promise<Device> {
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'rowsync-device-')))
  const database = await openDatabase({
    schema: options.schema ?? relayConfig().schema,
    storage: await LmdbStorageAdapter.open(directory),
    user: user.id,
  })
  const sync = startSync(database, {
    relay: options.relayUrl ?? relay.relay.url,
    token: options.token ?? (() => relay.tokenOf(user)),
    backoff: { initialMs: 20, maxMs: 200 },
    ...(options.lifecycle ? { lifecycle: options.lifecycle } : {}),
    ...(options.rules ? { rules: options.rules } : {}),
  })
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await sync.stop()
    await database.close()
  }
  cleanups.push(async () => {
    await close()
    if (!options.directory) await rm(directory, { recursive: true, force: true })
  })
  return { database, sync, directory, close }
}

/** Resolves once the device's sync status satisfies `done`. */
export function statusWhere(
  sync: Sync,
  done: (status: SyncStatus) => boolean,
): Promise<SyncStatus> {
  if (done(sync.status)) return Promise.resolve(sync.status)
  return new Promise((resolve) => {
    const unsubscribe = sync.subscribe((status) => {
      if (!done(status)) return
      unsubscribe()
      resolve(status)
    })
  })
}

/**
 * Resolves once `check` holds, re-checked after every change of any table of the given
 * databases (a condition over several devices needs all of them).
 */
export function until(
  databases: Database | readonly Database[],
  check: () => boolean,
): Promise<void> {
  if (check()) return Promise.resolve()
  const all: readonly Database[] = 'schema' in databases ? [databases] : databases
  return new Promise((resolve) => {
    const unsubscribes = all.flatMap((database) =>
      [...database.schema.tables.keys()].map((table) =>
        database.subscribe(table, () => {
          if (!check()) return
          for (const unsubscribe of unsubscribes) unsubscribe()
          resolve()
        }),
      ),
    )
  })
}

/** Resolves once the device is live and has nothing left to upload. */
export function settled(device: Device): Promise<SyncStatus> {
  return statusWhere(
    device.sync,
    (status) => status.state === 'connected' && status.pendingUpload === 0,
  )
}

/**
 * Counts HTTP requests made in this process by path (without the query) until `cleanups`
 * runs; the sync engine calls the global `fetch`.
 */
export function countRequests(cleanups: Array<() => Promise<void>>): Map<string, number> {
  const counts = new Map<string, number>()
  const realFetch = globalThis.fetch
  globalThis.fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    counts.set(url.pathname, (counts.get(url.pathname) ?? 0) + 1)
    return realFetch(input, init)
  }
  cleanups.push(() => {
    globalThis.fetch = realFetch
    return Promise.resolve()
  })
  return counts
}

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase, startSync, type Database, type Sync } from '@rowsync/client'
import { LmdbStorageAdapter } from '@rowsync/client/node'
import { relayConfig } from '../../../packages/relay/test/testRelay.ts'
import { tokenFor, type CampaignUser } from '../relayProcess.ts'

// Devices for the sync part of the reliability campaign: the real client (LMDB storage, the
// sync engine) in this process against a relay child process, addressed by URL so that a
// proxy can stand between them.

/** A device of the campaign. */
export interface CampaignDevice {
  readonly name: string
  readonly user: CampaignUser
  readonly database: Database
  readonly sync: Sync
  readonly directory: string
  /** Stops syncing and closes the database; the directory stays. */
  close(): Promise<void>
}

/** What removes everything a test made, in reverse order. */
export type Cleanups = Array<() => Promise<void>>

/** Runs and empties `cleanups`, last first; every cleanup runs even when one fails. */
export async function runCleanups(cleanups: Cleanups): Promise<void> {
  const failures: unknown[] = []
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup()
    } catch (error) {
      failures.push(error)
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, 'cleanup failed')
}

/** A temporary directory that `cleanups` removes. */
export async function scratchDirectory(cleanups: Cleanups, prefix: string): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), prefix))
  cleanups.push(() => rm(directory, { recursive: true, force: true }))
  return directory
}

/** The example schema every campaign relay serves. */
export const campaignSchema = relayConfig().schema

/**
 * Opens a device of `user` syncing with the relay at `relayUrl` (fast reconnects: 20 ms
 * doubling to 200 ms); `cleanups` closes it (and removes its directory when it made it).
 */
export async function openCampaignDevice(
  cleanups: Cleanups,
  options: { name: string; user: CampaignUser; relayUrl: string; directory?: string },
): Promise<CampaignDevice> {
  const directory =
    options.directory ?? (await scratchDirectory(cleanups, `rowsync-${options.name}-`))
  const database = await openDatabase({
    schema: campaignSchema,
    storage: await LmdbStorageAdapter.open(directory),
    user: options.user.id,
  })
  const sync = startSync(database, {
    relay: options.relayUrl,
    token: () => tokenFor(options.user),
    backoff: { initialMs: 20, maxMs: 200 },
  })
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await sync.stop()
    await database.close()
  }
  cleanups.push(close)
  return { name: options.name, user: options.user, database, sync, directory, close }
}

/** Whether every device holds the same rows with the same heads (deleted rows included). */
export function converged(devices: readonly CampaignDevice[]): boolean {
  const [first, ...others] = devices
  if (!first) return true
  const reference = fingerprint(first.database)
  return others.every((device) => fingerprint(device.database) === reference)
}

/** Row documents and their heads, as one comparable string. */
export function fingerprint(database: Database): string {
  return database
    .documentIds()
    .sort()
    .map((id) => `${id}=${[...(database.heads(id) ?? [])].sort().join(',')}`)
    .join(';')
}

/**
 * Resolves once every device holds the same rows with the same heads, nothing is left to
 * upload and every device is connected; rejects after `timeoutMs` (a liveness bound, not a
 * timing assertion) with what differs.
 */
export function waitConverged(devices: readonly CampaignDevice[], timeoutMs: number) {
  const done = () =>
    converged(devices) &&
    devices.every(
      (device) =>
        device.sync.status.pendingUpload === 0 && device.sync.status.state === 'connected',
    )
  if (done()) return Promise.resolve()
  return new Promise<void>((resolve, reject) => {
    const unsubscribes: Array<() => void> = []
    const finish = (error?: Error) => {
      clearTimeout(timer)
      for (const unsubscribe of unsubscribes) unsubscribe()
      if (error) reject(error)
      else resolve()
    }
    const check = () => {
      if (done()) finish()
    }
    const timer = setTimeout(() => {
      finish(
        new Error(
          `devices did not converge within ${timeoutMs} ms:\n${describeDivergence(devices)}`,
        ),
      )
    }, timeoutMs)
    for (const device of devices) {
      unsubscribes.push(device.sync.subscribe(check))
      for (const table of campaignSchema.tables.keys()) {
        unsubscribes.push(device.database.subscribe(table, check))
      }
    }
  })
}

/** Resolves once the device is connected with an empty outbox. */
export function settledDevice(device: CampaignDevice): Promise<void> {
  const done = () =>
    device.sync.status.state === 'connected' && device.sync.status.pendingUpload === 0
  if (done()) return Promise.resolve()
  return new Promise((resolve) => {
    const unsubscribe = device.sync.subscribe(() => {
      if (!done()) return
      unsubscribe()
      resolve()
    })
  })
}

/** What differs between devices: their state, and rows missing or with other heads. */
export function describeDivergence(devices: readonly CampaignDevice[]): string {
  const all = new Map<string, Set<string>>()
  for (const device of devices) {
    for (const id of device.database.documentIds()) {
      const heads = [...(device.database.heads(id) ?? [])].sort().join(',')
      const variants = all.get(id) ?? new Set<string>()
      variants.add(heads)
      all.set(id, variants)
    }
  }
  const lines = devices.map((device) => {
    const status = device.sync.status
    const ids = new Set(device.database.documentIds())
    const missing = [...all.keys()].filter((id) => !ids.has(id))
    const describe = (id: string) => {
      const row = devices
        .map((other) => other.database.rowOfDocument(id))
        .find((found) => found !== undefined)
      return row ? `${row.table}/${row.id}` : id
    }
    return (
      `${device.name} (${device.database.device}): ${ids.size} rows, state ${status.state}, ` +
      `pending ${status.pendingUpload}, last error ${status.lastError ?? '-'}, ` +
      `missing [${missing.map(describe).join(' ')}]`
    )
  })
  const differing = [...all].filter(([, variants]) => variants.size > 1).map(([id]) => id)
  lines.push(`rows with differing heads: ${differing.length} ${differing.slice(0, 5).join(' ')}`)
  return lines.join('\n')
}

import { cp } from 'node:fs/promises'
import { removeDirectory, temporaryDirectory } from '../storage.ts'
import {
  demoToken,
  dispatchers,
  inSync,
  insertWorkOrders,
  openDevice,
  runTimeout,
  startRowsyncRelay,
  syncDevice,
  withTimeout,
} from './syncFixtures.ts'
import { startCountingProxy } from './traffic.ts'

/** A relay's data directory holding work orders, and the device that created them. */
export interface SeededRelay {
  /** The relay's data directory (copy it for each run: runs change it). */
  readonly relayDirectory: string
  /** The creating device's LMDB directory: it holds every row and a caught-up feed cursor. */
  readonly deviceDirectory: string
  /** The user of that device. */
  readonly user: string
  /**
   * The loopback port the device reached the relay at: its feed cursor belongs to that URL, so
   * it catches up (rather than downloading anew) only from a relay at the same URL.
   */
  readonly relayPort: number
  dispose(): Promise<void>
}

/**
 * Seeds a relay with work orders `0 .. rows - 1` through sync, untimed: one device of the
 * first dispatcher inserts them offline and uploads them, then syncs once more so its feed
 * cursor is past its own rows. The device reaches the relay through a proxy, whose port a run
 * can listen on again.
 * @throws {Error} when the device does not settle in time
 */
export async function seedRelay(rows: number): Promise<SeededRelay> {
  const relayDirectory = await temporaryDirectory()
  const deviceDirectory = await temporaryDirectory()
  const user = dispatchers(1)[0]!.id
  const dispose = async () => {
    await removeDirectory(relayDirectory)
    await removeDirectory(deviceDirectory)
  }
  const relay = await startRowsyncRelay(relayDirectory)
  const proxy = await startCountingProxy(relay.url)
  try {
    const database = await openDevice(deviceDirectory, user)
    try {
      await insertWorkOrders(database, rows)
      const token = await demoToken(relay.url, user)
      for (let pass = 0; pass < 2; pass++) {
        const since = Date.now()
        const sync = syncDevice(database, proxy.url, token)
        await withTimeout(inSync(sync, since), runTimeout(rows) * 3, `seeding ${rows} rows`)
        await sync.stop()
      }
    } finally {
      await database.close()
    }
  } catch (error) {
    await dispose()
    throw error
  } finally {
    await proxy.close()
    await relay.close()
  }
  const relayPort = Number(new URL(proxy.url).port)
  return { relayDirectory, deviceDirectory, user, relayPort, dispose }
}

/** A fresh copy of a directory, for one run; remove it with `removeDirectory`. */
export async function copyDirectory(directory: string): Promise<string> {
  const copy = await temporaryDirectory()
  await cp(directory, copy, { recursive: true })
  return copy
}

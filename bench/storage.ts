import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { StorageAdapterInterface } from '@automerge/automerge-repo/slim'

/** One stored chunk, in a form that survives the structured clone. */
export interface StorageEntry {
  readonly key: readonly string[]
  readonly data: Uint8Array
}

/** A new empty temporary directory; the caller removes it with {@link removeDirectory}. */
export function temporaryDirectory(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'rowsync-bench-'))
}

/** Removes a directory made by {@link temporaryDirectory}, and everything in it. */
export function removeDirectory(directory: string): Promise<void> {
  return rm(directory, { recursive: true, force: true })
}

/** Every chunk in a storage adapter. */
export async function storageEntries(storage: StorageAdapterInterface): Promise<StorageEntry[]> {
  const chunks = await storage.loadRange([])
  return chunks.flatMap(({ key, data }) => (data ? [{ key, data }] : []))
}

/** The bytes of every chunk in a storage adapter. */
export async function storedBytes(storage: StorageAdapterInterface): Promise<number> {
  const chunks = await storage.loadRange([])
  return chunks.reduce((sum, chunk) => sum + (chunk.data?.byteLength ?? 0), 0)
}

/** Saves chunks into a storage adapter, all at once so durable adapters can commit them together. */
export async function saveEntries(
  storage: StorageAdapterInterface,
  entries: readonly StorageEntry[],
): Promise<void> {
  await Promise.all(entries.map(({ key, data }) => storage.save([...key], data)))
}

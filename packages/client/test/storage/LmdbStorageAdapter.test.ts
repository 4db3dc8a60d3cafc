import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from 'lmdb'
import { describe, expect, it } from 'vitest'
import { LmdbStorageAdapter } from '../../src/storage/LmdbStorageAdapter.ts'
import { committedTransactions } from './fixtures/committedTransactions.ts'

async function setup(onTestFinished: (cleanup: () => Promise<void>) => void): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'rowsync-lmdb-'))
  onTestFinished(() => rm(directory, { recursive: true, force: true }))
  return directory
}

describe('LmdbStorageAdapter', () => {
  it('commits 10,000 saves issued in one turn in a few transactions', async ({
    onTestFinished,
  }) => {
    const directory = await setup(onTestFinished)
    await (await LmdbStorageAdapter.open(directory)).close()
    const before = await committedTransactions(directory)

    const adapter = await LmdbStorageAdapter.open(directory)
    const saves: Promise<void>[] = []
    for (let index = 0; index < 10_000; index++) {
      saves.push(adapter.save(['bulk', String(index)], Uint8Array.of(index & 0xff)))
    }
    await Promise.all(saves)
    await adapter.close()

    const transactions = (await committedTransactions(directory)) - before
    console.log(`10,000 saves in one turn: ${transactions} fsync'd transactions`)
    expect(transactions).toBeLessThan(100)
  })

  it('groups saves that arrive while a commit is syncing', async ({ onTestFinished }) => {
    const directory = await setup(onTestFinished)
    await (await LmdbStorageAdapter.open(directory)).close()
    const before = await committedTransactions(directory)

    const adapter = await LmdbStorageAdapter.open(directory)
    const saves: Promise<void>[] = []
    for (let turn = 0; turn < 100; turn++) {
      for (let index = 0; index < 100; index++) {
        saves.push(adapter.save(['bulk', String(turn), String(index)], new Uint8Array(400)))
      }
      await new Promise((resolve) => setImmediate(resolve))
    }
    await Promise.all(saves)
    await adapter.close()

    // Printed, not asserted: how many turns share a commit depends on the disk.
    const transactions = (await committedTransactions(directory)) - before
    console.log(`10,000 saves over 100 event turns: ${transactions} fsync'd transactions`)
  })

  it('lists loadRange results in key byte order, not save order', async ({ onTestFinished }) => {
    const directory = await setup(onTestFinished)
    const first = await LmdbStorageAdapter.open(directory)
    await first.save(['doc', 'b'], Uint8Array.of(1))
    await first.save(['doc', 'a'], Uint8Array.of(2))
    await first.close()

    const second = await LmdbStorageAdapter.open(directory)
    onTestFinished(() => second.close())
    await second.save(['doc', 'c'], Uint8Array.of(3))
    await second.save(['doc', 'b'], Uint8Array.of(4))
    expect(await second.loadRange(['doc'])).toStrictEqual([
      { key: ['doc', 'a'], data: Uint8Array.of(2) },
      { key: ['doc', 'b'], data: Uint8Array.of(4) },
      { key: ['doc', 'c'], data: Uint8Array.of(3) },
    ])
  })

  it('returns separate plain copies of values of every size from loadRange and load', async ({
    onTestFinished,
  }) => {
    const adapter = await LmdbStorageAdapter.open(await setup(onTestFinished))
    onTestFinished(() => adapter.close())
    // Enough small values to fill several of the adapter's slabs, a value larger than a
    // slab, and one larger than lmdb-js's 16 MiB read buffer (read through the memory map).
    const sizes = [0, 1, 300, 70_000, 300, 17_000_000, ...Array.from({ length: 1_000 }, () => 300)]
    const values = sizes.map((size, index) => {
      const value = new Uint8Array(size)
      for (let position = 0; position < size; position++) value[position] = index + position
      return value
    })
    const valueOf = (index: number): Uint8Array => values[index] ?? new Uint8Array(0)
    const keyOf = (index: number): string[] => ['v', String(index).padStart(4, '0')]
    await Promise.all(sizes.map((_, index) => adapter.save(keyOf(index), valueOf(index))))

    const chunks = await adapter.loadRange(['v'])
    expect(chunks.map(({ key }) => key)).toStrictEqual(sizes.map((_, index) => keyOf(index)))
    for (const [index, { data }] of chunks.entries()) {
      expect(data && Object.getPrototypeOf(data)).toBe(Uint8Array.prototype)
      expect(data && Buffer.compare(data, valueOf(index))).toBe(0)
    }
    // Each chunk has bytes of its own: filling one leaves the others (and storage) alone.
    for (const { data } of chunks) data?.fill(0xee)
    const again = await adapter.loadRange(['v'])
    for (const [index, { data }] of again.entries()) {
      expect(data && Buffer.compare(data, valueOf(index))).toBe(0)
    }
    for (const index of [0, 3, 5]) {
      const loaded = await adapter.load(keyOf(index))
      expect(loaded && Object.getPrototypeOf(loaded)).toBe(Uint8Array.prototype)
      expect(loaded && Buffer.compare(loaded, valueOf(index))).toBe(0)
      expect(loaded?.byteLength).toBe(loaded?.buffer.byteLength)
    }
  })

  it('stores chunks as their bytes alone, beside one metadata record', async ({
    onTestFinished,
  }) => {
    const directory = await setup(onTestFinished)
    const adapter = await LmdbStorageAdapter.open(directory)
    await adapter.save(['doc', 'x'], Uint8Array.of(7, 8, 9))
    await adapter.close()
    const raw = open<Uint8Array, Uint8Array>({
      path: directory,
      keyEncoding: 'binary',
      encoding: 'binary',
      overlappingSync: false,
      readOnly: true,
    })
    onTestFinished(() => raw.close())
    const entries = [...raw.getRange({ start: Uint8Array.of(0) })].map(({ key, value }) => [
      [...key],
      [...value],
    ])
    expect(entries).toStrictEqual([
      [[0], [...new TextEncoder().encode('rowsync'), 2]],
      [
        [1, ...new TextEncoder().encode('doc'), 0, ...new TextEncoder().encode('x'), 0],
        [7, 8, 9],
      ],
    ])
  })

  it('treats a path with a dot as a directory and creates it', async ({ onTestFinished }) => {
    const directory = join(await setup(onTestFinished), 'nested', 'store.v1')
    const adapter = await LmdbStorageAdapter.open(directory)
    await adapter.save(['doc'], Uint8Array.of(1))
    await adapter.close()
    expect((await stat(directory)).isDirectory()).toBe(true)
    expect((await stat(join(directory, 'data.mdb'))).isFile()).toBe(true)
  })

  it('rejects every operation after close, and closes twice without harm', async ({
    onTestFinished,
  }) => {
    const adapter = await LmdbStorageAdapter.open(await setup(onTestFinished))
    await adapter.close()
    await adapter.close()
    await expect(adapter.save(['doc'], Uint8Array.of(1))).rejects.toThrow(/save: .* is closed/)
    await expect(adapter.load(['doc'])).rejects.toThrow(/load: .* is closed/)
    await expect(adapter.remove(['doc'])).rejects.toThrow(/remove: .* is closed/)
    await expect(adapter.loadRange(['doc'])).rejects.toThrow(/loadRange: .* is closed/)
    await expect(adapter.removeRange(['doc'])).rejects.toThrow(/removeRange: .* is closed/)
  })

  it('rejects a key over the size limit without storing anything', async ({ onTestFinished }) => {
    const adapter = await LmdbStorageAdapter.open(await setup(onTestFinished))
    onTestFinished(() => adapter.close())
    await expect(adapter.save(['x'.repeat(2_000)], Uint8Array.of(1))).rejects.toThrow(
      /save: key .* over LMDB's limit of 1978/,
    )
    expect(await adapter.loadRange([])).toStrictEqual([])
  })

  it('waits for writes in flight before closing', async ({ onTestFinished }) => {
    const directory = await setup(onTestFinished)
    const adapter = await LmdbStorageAdapter.open(directory)
    const saving = adapter.save(['doc'], Uint8Array.of(1))
    await adapter.close()
    await saving
    const reopened = await LmdbStorageAdapter.open(directory)
    onTestFinished(() => reopened.close())
    expect(await reopened.load(['doc'])).toStrictEqual(Uint8Array.of(1))
  })

  it('refuses to open an LMDB database that is not a Rowsync store', async ({ onTestFinished }) => {
    const directory = await setup(onTestFinished)
    const foreign = open({ path: directory })
    await foreign.put('someone else', { value: 1 })
    await foreign.close()
    await expect(LmdbStorageAdapter.open(directory)).rejects.toThrow(/not a Rowsync store/)
  })

  it('refuses to open a store of another format version', async ({ onTestFinished }) => {
    const directory = await setup(onTestFinished)
    const adapter = await LmdbStorageAdapter.open(directory)
    await adapter.save(['doc'], Uint8Array.of(1))
    await adapter.close()
    const raw = open<Uint8Array, Uint8Array>({
      path: directory,
      keyEncoding: 'binary',
      encoding: 'binary',
      overlappingSync: false,
    })
    await raw.put(Uint8Array.of(0), Uint8Array.of(...new TextEncoder().encode('rowsync'), 99))
    await raw.close()
    await expect(LmdbStorageAdapter.open(directory)).rejects.toThrow(
      /is a Rowsync store of format 99; this version reads format 2 only/,
    )
  })

  it('refuses to open a store of format 1, whose chunks carried a save sequence', async ({
    onTestFinished,
  }) => {
    const directory = await setup(onTestFinished)
    const raw = open<Uint8Array, Uint8Array>({
      path: directory,
      keyEncoding: 'binary',
      encoding: 'binary',
      overlappingSync: false,
    })
    // As format 1 wrote them: the format byte and the last sequence number (float64), and
    // each chunk behind its sequence number.
    await raw.put(Uint8Array.of(0), Uint8Array.of(1, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0))
    await raw.put(Uint8Array.of(1, 0x78, 0), Uint8Array.of(0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 42))
    await raw.close()
    await expect(LmdbStorageAdapter.open(directory)).rejects.toThrow(
      /is a Rowsync store of format 1; .* format 1 came from development builds/,
    )
  })
})

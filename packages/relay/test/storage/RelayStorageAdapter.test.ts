import { createHash } from 'node:crypto'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import * as Automerge from '@automerge/automerge'
import { generateAutomergeUrl, parseAutomergeUrl } from '@automerge/automerge-repo'
import { runStorageAdapterTests } from '@automerge/automerge-repo/helpers/tests/storage-adapter-tests.js'
import { open } from 'lmdb'
import { describe, expect, it } from 'vitest'
import { InvalidStorageKeyError } from '../../src/storage/InvalidStorageKeyError.ts'
import { RelayStorageAdapter } from '../../src/storage/RelayStorageAdapter.ts'
import { SaveOrderView } from './SaveOrderView.ts'

async function temporaryDirectory(onTestFinished: (cleanup: () => Promise<void>) => void) {
  const directory = await mkdtemp(join(tmpdir(), 'rowsync-relay-storage-'))
  onTestFinished(() => rm(directory, { recursive: true, force: true }))
  return directory
}

async function setup(onTestFinished: (cleanup: () => Promise<void>) => void) {
  const directory = await temporaryDirectory(onTestFinished)
  const adapter = await RelayStorageAdapter.open(directory)
  onTestFinished(() => adapter.close())
  return { directory, adapter }
}

// The suite's loadRange checks expect save order; see SaveOrderView for why and what it does.
runStorageAdapterTests(async () => {
  const directory = await mkdtemp(join(tmpdir(), 'rowsync-relay-storage-'))
  const adapter = await RelayStorageAdapter.open(directory)
  return {
    adapter: new SaveOrderView(adapter),
    teardown: async () => {
      await adapter.close()
      await rm(directory, { recursive: true, force: true })
    },
  }
}, 'RelayStorageAdapter')

describe('RelayStorageAdapter', () => {
  it('keeps saved chunks across close and open', async ({ onTestFinished }) => {
    const directory = await temporaryDirectory(onTestFinished)
    const first = await RelayStorageAdapter.open(directory)
    await first.save(['doc', 'snapshot', 'h1'], Uint8Array.of(1, 2, 3))
    await first.save(['doc', 'incremental', 'h2'], Uint8Array.of(4))
    await first.save(['storage-adapter-id'], Uint8Array.of(9))
    await first.remove(['doc', 'incremental', 'h2'])
    await first.close()

    const second = await RelayStorageAdapter.open(directory)
    onTestFinished(() => second.close())
    expect(await second.load(['storage-adapter-id'])).toStrictEqual(Uint8Array.of(9))
    expect(await second.loadRange(['doc'])).toStrictEqual([
      { key: ['doc', 'snapshot', 'h1'], data: Uint8Array.of(1, 2, 3) },
    ])
  })

  it('matches prefixes component by component', async ({ onTestFinished }) => {
    const { adapter } = await setup(onTestFinished)
    await adapter.save(['a', 'x'], Uint8Array.of(1))
    await adapter.save(['ab', 'x'], Uint8Array.of(2))
    await adapter.save(['a'], Uint8Array.of(3))
    await adapter.save(['', 'é', '日本'], Uint8Array.of(4))

    const keys = (await adapter.loadRange(['a'])).map((chunk) => chunk.key)
    expect(keys).toStrictEqual([['a'], ['a', 'x']])
    expect((await adapter.loadRange([''])).map((chunk) => chunk.key)).toStrictEqual([
      ['', 'é', '日本'],
    ])
    expect(await adapter.loadRange([])).toHaveLength(4)
    await adapter.removeRange(['a'])
    expect((await adapter.loadRange([])).map((chunk) => chunk.key)).toStrictEqual([
      ['', 'é', '日本'],
      ['ab', 'x'],
    ])
  })

  it('sees a save that was issued but not awaited', async ({ onTestFinished }) => {
    const { adapter } = await setup(onTestFinished)
    const saved = adapter.save(['doc', 'snapshot', 'h'], Uint8Array.of(7))
    const loaded = adapter.load(['doc', 'snapshot', 'h'])
    const removed = adapter.removeRange(['doc'])
    const afterRemove = adapter.loadRange(['doc'])
    await saved
    expect(await loaded).toStrictEqual(Uint8Array.of(7))
    await removed
    expect(await afterRemove).toStrictEqual([])
  })

  it('stores a copy of the bytes it was given', async ({ onTestFinished }) => {
    const { adapter } = await setup(onTestFinished)
    const data = Uint8Array.of(1, 2)
    const saved = adapter.save(['k'], data)
    data[0] = 99
    await saved
    expect(await adapter.load(['k'])).toStrictEqual(Uint8Array.of(1, 2))
  })

  it.for<[string, string[]]>([
    ['a component holding U+0000', ['doc', 'a\u0000b']],
    ['a component holding a lone surrogate', ['doc', '\ud800']],
    ['a component that is not a string', ['doc', 42 as unknown as string]],
    ['an empty key', []],
    ['a key longer than LMDB allows', ['doc', 'x'.repeat(3000)]],
  ])('refuses %s', async ([, key], { onTestFinished }) => {
    const { adapter } = await setup(onTestFinished)
    await expect(adapter.save(key, Uint8Array.of(1))).rejects.toThrow(InvalidStorageKeyError)
    await expect(adapter.load(key)).rejects.toThrow(InvalidStorageKeyError)
    await expect(adapter.remove(key)).rejects.toThrow(InvalidStorageKeyError)
  })

  it('names the operation and the key when it refuses one', async ({ onTestFinished }) => {
    const { adapter } = await setup(onTestFinished)
    await expect(adapter.loadRange(['doc\u0000'])).rejects.toThrow(
      /RelayStorageAdapter\.loadRange: key \["doc\\u0000"\]/,
    )
  })

  it('refuses a directory holding another LMDB database', async ({ onTestFinished }) => {
    const directory = await temporaryDirectory(onTestFinished)
    const other = open({ path: directory })
    await other.put('something', 'else')
    await other.close()
    await expect(RelayStorageAdapter.open(directory)).rejects.toThrow(/not a relay store/)
  })

  it('refuses calls after close', async ({ onTestFinished }) => {
    const directory = await temporaryDirectory(onTestFinished)
    const adapter = await RelayStorageAdapter.open(directory)
    await adapter.close()
    await expect(adapter.load(['k'])).rejects.toThrow(/closed/)
  })

  // Printed, not asserted: sizes and times depend on the machine and the file system.
  it(
    'measures 10,000 row documents saved as automerge-repo saves them',
    {
      timeout: 120_000,
    },
    async ({ onTestFinished }) => {
      const directory = await temporaryDirectory(onTestFinished)
      const count = 10_000
      let adapter = await RelayStorageAdapter.open(directory)
      await adapter.save(['storage-adapter-id'], new TextEncoder().encode(crypto.randomUUID()))
      const createStarted = performance.now()
      const chunks: { key: string[]; snapshot: Uint8Array }[] = []
      for (let index = 0; index < count; index++) {
        const doc = Automerge.from(rowDocument(index))
        const snapshot = Automerge.save(doc)
        chunks.push({
          key: [documentIdOf(), 'snapshot', headsHash(Automerge.getHeads(doc))],
          snapshot,
        })
        Automerge.free(doc)
      }
      const createMs = performance.now() - createStarted
      const snapshotBytes = chunks.reduce((sum, chunk) => sum + chunk.snapshot.length, 0)
      const started = performance.now()
      await Promise.all(chunks.map(({ key, snapshot }) => adapter.save(key, snapshot)))
      const saveMs = performance.now() - started
      await adapter.close()

      const file = await stat(join(directory, 'data.mdb'))
      const openTimes: number[] = []
      for (let attempt = 0; attempt < 5; attempt++) {
        const openStarted = performance.now()
        adapter = await RelayStorageAdapter.open(directory)
        openTimes.push(performance.now() - openStarted)
        await adapter.close()
      }
      adapter = await RelayStorageAdapter.open(directory)
      onTestFinished(() => adapter.close())
      const loadStarted = performance.now()
      const all = await adapter.loadRange([])
      const loadMs = performance.now() - loadStarted
      expect(all).toHaveLength(count + 1)

      const perDocument = (bytes: number) => (bytes / count).toFixed(0)
      console.log(
        [
          `RelayStorageAdapter, ${count} row documents, one snapshot each:`,
          `  snapshot size: ${perDocument(snapshotBytes)} B per document on average`,
          `  data.mdb: ${file.size} B apparent (${perDocument(file.size)} B per document), ` +
            `${file.blocks * 512} B allocated (${perDocument(file.blocks * 512)} B per document)`,
          `  create the documents (Automerge.from + save): ${createMs.toFixed(0)} ms`,
          `  save all, issued in one turn (group commit): ${saveMs.toFixed(0)} ms`,
          `  open: ${openTimes.map((ms) => ms.toFixed(2)).join(', ')} ms (5 opens)`,
          `  loadRange([]) of all: ${loadMs.toFixed(0)} ms`,
        ].join('\n'),
      )
    },
  )
})

/** A flat row document of about 500 bytes once saved, like a work order. */
function rowDocument(index: number) {
  return {
    table: 'workOrders',
    id: `wo-${String(index).padStart(6, '0')}`,
    deleted: false,
    fields: {
      title: `Replace pump seal on line ${index % 40}`,
      status: ['open', 'assigned', 'done'][index % 3] ?? 'open',
      assignee: `user-${index % 97}`,
      site: `Plant ${index % 12}, building ${index % 5}`,
      priority: index % 5,
      dueDate: `2025-${String((index % 12) + 1).padStart(2, '0')}-15`,
      notes: `Checked on site; seal worn, gasket ordered (${index}). Customer informed by phone.`,
      estimatedHours: (index % 16) / 2,
    },
  }
}

function documentIdOf(): string {
  return parseAutomergeUrl(generateAutomergeUrl()).documentId
}

/** automerge-repo's snapshot key hash: SHA-256 of the heads' hex strings, as hex. */
function headsHash(heads: string[]): string {
  return createHash('sha256').update(heads.join('')).digest('hex')
}

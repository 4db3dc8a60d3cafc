import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo/slim'
import { runStorageAdapterTests } from '@automerge/automerge-repo/helpers/tests/storage-adapter-tests.js'
import { describe, expect, it } from 'vitest'

/** What a conformance case needs: a fresh, empty adapter and how to dispose of it. */
export interface StorageConformanceFixture {
  /** A fresh adapter over empty storage. */
  adapter: StorageAdapterInterface
  /**
   * For persistent adapters: closes the adapter and opens a new one on the same storage.
   * The fixture's `teardown` must then dispose of the adapter returned last.
   */
  reopen?: () => Promise<StorageAdapterInterface>
  /** Closes the adapter(s) and deletes the storage. */
  teardown?: () => Promise<void>
}

/** Names of Rowsync's own conformance cases, for {@link StorageConformanceOptions}. */
export type StorageConformanceCase = keyof typeof CASE_TITLES

/** Declared deviations of an adapter that Rowsync does not control. */
export interface StorageConformanceOptions {
  /**
   * Rowsync cases this adapter is known to fail; they run as `it.fails`, so they show up in
   * every run and turn red once the adapter is fixed. Defaults to none.
   */
  knownFailures?: readonly StorageConformanceCase[]
  /**
   * Whether data outlives the adapter, so the fixture provides `reopen` and the reopen case
   * runs. Defaults to true.
   */
  persistent?: boolean
  /**
   * How many saves the concurrent-saves case issues at once. Defaults to 10,000; lower it
   * only for a test double that is itself too slow (and say so where you do).
   */
  concurrentSaves?: number
}

const CASE_TITLES = {
  survivesReopen: 'saved, overwritten and removed data is as left after reopening',
  overwriteReplaces: 'a save replaces the whole previous value, longer or shorter',
  loadRangeMatchesComponents: 'loadRange matches whole key components, not string prefixes',
  removeRangeMatchesComponents: 'removeRange leaves siblings that share a longer string prefix',
  emptyPrefix: 'the empty prefix matches every key',
  concurrentSaves: 'many saves issued without awaiting all load back',
  emptyValue: 'an empty Uint8Array round-trips as an empty Uint8Array',
  plainUint8Arrays: 'load and loadRange return plain Uint8Arrays',
  loadReturnsCopies: 'mutating a loaded array does not change storage',
  loadRangeReturnsCopies: 'mutating chunk data from loadRange does not change storage',
  loadRangeReturnsKeyCopies: 'mutating a chunk key from loadRange does not change storage',
  saveCopiesInput: 'mutating an array after its save resolved does not change storage',
  saveCopiesInputAtCall: 'mutating an array right after calling save does not change storage',
  unusualKeys: "keys with '', '/', U+0000, non-ASCII and lone surrogates stay distinct",
  prefixBeforeMaxCodeUnit: 'prefixes match components starting with U+FFFF',
  callOrder: 'operations take effect in call order without awaiting',
} as const

/** Large enough to show whether saves share commits; small enough for a unit test. */
const DEFAULT_CONCURRENT_SAVES = 10_000

/**
 * Runs automerge-repo's storage acceptance suite and Rowsync's own cases against one adapter,
 * each case on a fresh fixture from `setup`. Call it inside a vitest test file.
 * @param name - names the adapter in the test titles
 * @param setup - creates a fresh fixture over empty storage for every case
 * @param options - declared deviations; by default none
 */
export function runStorageConformance(
  name: string,
  setup: () => Promise<StorageConformanceFixture>,
  options: StorageConformanceOptions = {},
): void {
  const knownFailures = new Set(options.knownFailures ?? [])
  const concurrentSaves = options.concurrentSaves ?? DEFAULT_CONCURRENT_SAVES

  const rowsyncCase = (
    id: StorageConformanceCase,
    body: (fixture: StorageConformanceFixture) => Promise<void>,
    timeout?: number,
  ): void => {
    const known = knownFailures.has(id)
    const test = known ? it.fails : it
    const base =
      id === 'concurrentSaves'
        ? `${concurrentSaves.toLocaleString('en')} saves issued without awaiting all load back`
        : CASE_TITLES[id]
    const title = known ? `${base} [known failure]` : base
    test(
      title,
      async ({ onTestFinished }) => {
        const fixture = await setup()
        onTestFinished(async () => {
          await fixture.teardown?.()
        })
        await body(fixture)
      },
      timeout,
    )
  }

  describe(`storage conformance: ${name}`, () => {
    describe('automerge-repo acceptance suite', () => {
      // The suite (automerge-repo 2.5.6) compares loadRange results as arrays in the order
      // the chunks were saved, an order that StorageAdapterInterface does not promise: the
      // stock IndexedDB adapter lists chunks in key order, Rowsync's adapters in whatever
      // order is cheapest, Rowsync never relies on one, and a maintainer said in
      // automerge-repo PR #387 that the order should not be insisted on. So every adapter
      // runs the suite behind SaveOrderView, which only puts loadRange results in save order;
      // every other check of the suite still sees the adapter itself.
      runStorageAdapterTests(async () => {
        const { adapter, teardown } = await setup()
        const viewed = new SaveOrderView(adapter)
        return teardown === undefined ? { adapter: viewed } : { adapter: viewed, teardown }
      }, name)
    })

    describe('Rowsync cases', () => {
      if (options.persistent !== false)
        rowsyncCase('survivesReopen', async ({ adapter, reopen }) => {
          if (reopen === undefined)
            throw new Error(`${name}: a persistent adapter's fixture needs reopen`)
          await adapter.save(['doc', 'snapshot'], bytes(1, 2, 3))
          await adapter.save(['doc', 'incremental', 'a'], bytes(4))
          await adapter.save(['doc', 'incremental', 'b'], bytes(5, 6))
          await adapter.save(['doc', 'incremental', 'a'], bytes(7, 8, 9, 10))
          await adapter.save(['gone'], bytes(11))
          await adapter.remove(['gone'])
          await adapter.save(['range', 'x'], bytes(12))
          await adapter.save(['range', 'y'], bytes(13))
          await adapter.removeRange(['range'])

          const reopened = await reopen()

          expect(await reopened.load(['doc', 'snapshot'])).toStrictEqual(bytes(1, 2, 3))
          expect(byKey(await reopened.loadRange([]))).toStrictEqual([
            { key: ['doc', 'incremental', 'a'], data: bytes(7, 8, 9, 10) },
            { key: ['doc', 'incremental', 'b'], data: bytes(5, 6) },
            { key: ['doc', 'snapshot'], data: bytes(1, 2, 3) },
          ])
        })

      rowsyncCase('overwriteReplaces', async ({ adapter }) => {
        await adapter.save(['doc', 'snapshot'], filled(100, 7))
        await adapter.save(['doc', 'snapshot'], bytes(1, 2, 3))
        expect(await adapter.load(['doc', 'snapshot'])).toStrictEqual(bytes(1, 2, 3))
        await adapter.save(['doc', 'snapshot'], filled(1000, 9))
        expect(await adapter.load(['doc', 'snapshot'])).toStrictEqual(filled(1000, 9))
        expect(await adapter.loadRange(['doc'])).toStrictEqual([
          { key: ['doc', 'snapshot'], data: filled(1000, 9) },
        ])
      })

      rowsyncCase('loadRangeMatchesComponents', async ({ adapter }) => {
        await saveAll(adapter, SIBLING_KEYS)
        expect(keysOf(await adapter.loadRange(['doc']))).toStrictEqual(
          sortKeys([['doc'], ['doc', ''], ['doc', 'x'], ['doc', 'x', 'y'], ['doc', 'xy']]),
        )
        expect(keysOf(await adapter.loadRange(['doc', 'x']))).toStrictEqual(
          sortKeys([
            ['doc', 'x'],
            ['doc', 'x', 'y'],
          ]),
        )
        expect(keysOf(await adapter.loadRange(['doc', '']))).toStrictEqual([['doc', '']])
        expect(keysOf(await adapter.loadRange(['d']))).toStrictEqual([])
      })

      rowsyncCase('removeRangeMatchesComponents', async ({ adapter }) => {
        await saveAll(adapter, SIBLING_KEYS)
        await adapter.removeRange(['doc', 'x'])
        expect(keysOf(await adapter.loadRange([]))).toStrictEqual(
          sortKeys(SIBLING_KEYS.filter((key) => !(key[0] === 'doc' && key[1] === 'x'))),
        )
        await adapter.removeRange(['doc'])
        expect(keysOf(await adapter.loadRange([]))).toStrictEqual(
          sortKeys([['doc2'], ['doc2', 'x'], ['do'], ['docx']]),
        )
        expect(await adapter.load(['doc2', 'x'])).toStrictEqual(dataFor(['doc2', 'x']))
      })

      rowsyncCase('emptyPrefix', async ({ adapter }) => {
        await saveAll(adapter, SIBLING_KEYS)
        expect(byKey(await adapter.loadRange([]))).toStrictEqual(
          sortKeys(SIBLING_KEYS).map((key) => ({ key, data: dataFor(key) })),
        )
        await adapter.removeRange([])
        expect(await adapter.loadRange([])).toStrictEqual([])
      })

      rowsyncCase(
        'concurrentSaves',
        async ({ adapter }) => {
          const saves: Promise<void>[] = []
          for (let index = 0; index < concurrentSaves; index++) {
            saves.push(adapter.save(['bulk', String(index)], payload(index)))
          }
          await Promise.all(saves)
          const chunks = await adapter.loadRange(['bulk'])
          expect(chunks).toHaveLength(concurrentSaves)
          const byIndex = new Map(chunks.map(({ key, data }) => [key[1], data]))
          // One expect for all: vitest's deep equality is slow enough to dominate the case.
          const wrong = Array.from({ length: concurrentSaves }, (_, index) => index).filter(
            (index) => !sameBytes(byIndex.get(String(index)), payload(index)),
          )
          expect(wrong).toStrictEqual([])
          const last = concurrentSaves - 1
          expect(await adapter.load(['bulk', String(last)])).toStrictEqual(payload(last))
        },
        60_000,
      )

      rowsyncCase('emptyValue', async ({ adapter }) => {
        await adapter.save(['empty'], new Uint8Array(0))
        expect(await adapter.load(['empty'])).toStrictEqual(new Uint8Array(0))
        expect(await adapter.loadRange(['empty'])).toStrictEqual([
          { key: ['empty'], data: new Uint8Array(0) },
        ])
      })

      rowsyncCase('plainUint8Arrays', async ({ adapter }) => {
        await adapter.save(['doc', 'snapshot'], bytes(1, 2, 3))
        const loaded = await adapter.load(['doc', 'snapshot'])
        expect(loaded === undefined ? undefined : Object.getPrototypeOf(loaded)).toBe(
          Uint8Array.prototype,
        )
        const [chunk] = await adapter.loadRange(['doc'])
        expect(chunk?.data === undefined ? undefined : Object.getPrototypeOf(chunk.data)).toBe(
          Uint8Array.prototype,
        )
      })

      rowsyncCase('loadReturnsCopies', async ({ adapter }) => {
        await adapter.save(['doc', 'snapshot'], bytes(1, 2, 3))
        const loaded = await adapter.load(['doc', 'snapshot'])
        loaded?.fill(0)
        expect(await adapter.load(['doc', 'snapshot'])).toStrictEqual(bytes(1, 2, 3))
      })

      rowsyncCase('loadRangeReturnsCopies', async ({ adapter }) => {
        await adapter.save(['doc', 'snapshot'], bytes(1, 2, 3))
        for (const chunk of await adapter.loadRange(['doc'])) chunk.data?.fill(0)
        expect(await adapter.loadRange(['doc'])).toStrictEqual([
          { key: ['doc', 'snapshot'], data: bytes(1, 2, 3) },
        ])
        expect(await adapter.load(['doc', 'snapshot'])).toStrictEqual(bytes(1, 2, 3))
      })

      rowsyncCase('loadRangeReturnsKeyCopies', async ({ adapter }) => {
        await adapter.save(['doc', 'snapshot'], bytes(1, 2, 3))
        for (const chunk of await adapter.loadRange(['doc'])) chunk.key[1] = 'changed'
        expect(await adapter.loadRange(['doc'])).toStrictEqual([
          { key: ['doc', 'snapshot'], data: bytes(1, 2, 3) },
        ])
      })

      rowsyncCase('saveCopiesInput', async ({ adapter }) => {
        const data = bytes(1, 2, 3)
        await adapter.save(['doc', 'snapshot'], data)
        data.fill(0)
        expect(await adapter.load(['doc', 'snapshot'])).toStrictEqual(bytes(1, 2, 3))
      })

      rowsyncCase('saveCopiesInputAtCall', async ({ adapter }) => {
        const data = bytes(1, 2, 3)
        const saving = adapter.save(['doc', 'snapshot'], data)
        data.fill(0)
        await saving
        expect(await adapter.load(['doc', 'snapshot'])).toStrictEqual(bytes(1, 2, 3))
      })

      rowsyncCase('unusualKeys', async ({ adapter }) => {
        await saveAll(adapter, UNUSUAL_KEYS)
        for (const key of UNUSUAL_KEYS) {
          expect(await adapter.load(key), JSON.stringify(key)).toStrictEqual(dataFor(key))
        }
        expect(byKey(await adapter.loadRange([]))).toStrictEqual(
          sortKeys(UNUSUAL_KEYS).map((key) => ({ key, data: dataFor(key) })),
        )
        expect(keysOf(await adapter.loadRange(['']))).toStrictEqual(sortKeys([[''], ['', '']]))
        expect(keysOf(await adapter.loadRange(['a']))).toStrictEqual([['a', 'b']])
        expect(keysOf(await adapter.loadRange(['\u0000']))).toStrictEqual(
          sortKeys([['\u0000'], ['\u0000', '']]),
        )
        await adapter.removeRange(['a'])
        expect(await adapter.load(['a/b'])).toStrictEqual(dataFor(['a/b']))
        expect(await adapter.load(['a\u0000b'])).toStrictEqual(dataFor(['a\u0000b']))
      })

      rowsyncCase('prefixBeforeMaxCodeUnit', async ({ adapter }) => {
        const keys = [
          ['p', '\uffff'],
          ['p', '\uffff\uffff'],
          ['p', '\uffffz'],
          ['p', '\u{10ffff}'],
        ]
        await saveAll(adapter, keys)
        expect(keysOf(await adapter.loadRange(['p']))).toStrictEqual(sortKeys(keys))
        await adapter.removeRange(['p'])
        expect(await adapter.loadRange([])).toStrictEqual([])
      })

      rowsyncCase('callOrder', async ({ adapter }) => {
        const saved = adapter.save(['doc', 'a'], bytes(1))
        const loaded = adapter.load(['doc', 'a'])
        const savedB = adapter.save(['doc', 'b'], bytes(2))
        const removed = adapter.removeRange(['doc'])
        const ranged = adapter.loadRange(['doc'])
        const removedA = adapter.remove(['doc', 'a'])
        const savedAgain = adapter.save(['doc', 'a'], bytes(3))
        const loadedAgain = adapter.load(['doc', 'a'])
        await Promise.all([saved, savedB, removed, removedA, savedAgain])
        expect(await loaded).toStrictEqual(bytes(1))
        expect(await ranged).toStrictEqual([])
        expect(await loadedAgain).toStrictEqual(bytes(3))
      })
    })
  })
}

const SIBLING_KEYS: StorageKey[] = [
  ['doc'],
  ['doc', ''],
  ['doc', 'x'],
  ['doc', 'x', 'y'],
  ['doc', 'xy'],
  ['doc2'],
  ['doc2', 'x'],
  ['do'],
  ['docx'],
]

const UNUSUAL_KEYS: StorageKey[] = [
  [''],
  ['', ''],
  ['/'],
  ['a/b'],
  ['a', 'b'],
  ['a\u0000b'],
  ['\u0000'],
  ['\u0000', ''],
  ['\\'],
  ['.', '..'],
  ['%2F'],
  ['ü', '日本語'],
  ['🙂'],
  ['\ud800'],
  ['\udc00x'],
  ['\u0001\u007f\u0080\u07ff\u0800'],
]

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values)
}

function sameBytes(actual: Uint8Array | undefined, expected: Uint8Array): boolean {
  return (
    actual !== undefined &&
    actual.length === expected.length &&
    actual.every((byte, index) => byte === expected[index])
  )
}

function filled(length: number, value: number): Uint8Array {
  return new Uint8Array(length).fill(value)
}

function payload(index: number): Uint8Array {
  return Uint8Array.from(
    { length: 1 + (index % 17) },
    (_, position) => (index * 31 + position) & 0xff,
  )
}

/** Distinct bytes per key, so a mixed-up key shows as wrong data. */
function dataFor(key: StorageKey): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(key))
}

async function saveAll(adapter: StorageAdapterInterface, keys: StorageKey[]): Promise<void> {
  for (const key of keys) await adapter.save(key, dataFor(key))
}

function compareKeys(left: StorageKey, right: StorageKey): number {
  const leftText = JSON.stringify(left)
  const rightText = JSON.stringify(right)
  return leftText < rightText ? -1 : leftText > rightText ? 1 : 0
}

function sortKeys(keys: StorageKey[]): StorageKey[] {
  return [...keys].sort(compareKeys)
}

function keysOf(chunks: Chunk[]): StorageKey[] {
  return sortKeys(chunks.map(({ key }) => key))
}

function byKey(chunks: Chunk[]): Chunk[] {
  return [...chunks].sort((left, right) => compareKeys(left.key, right.key))
}

/**
 * Passes every call through and only reorders loadRange results by the order this view saw
 * the saves (see the acceptance suite above). It never adds, drops or changes a chunk, so
 * every other check of the suite still applies.
 */
class SaveOrderView implements StorageAdapterInterface {
  readonly #inner: StorageAdapterInterface
  readonly #saveOrder = new Map<string, number>()
  #saves = 0

  constructor(inner: StorageAdapterInterface) {
    this.#inner = inner
  }

  load(key: StorageKey): Promise<Uint8Array | undefined> {
    return this.#inner.load(key)
  }

  save(key: StorageKey, data: Uint8Array): Promise<void> {
    this.#saveOrder.set(JSON.stringify(key), this.#saves++)
    return this.#inner.save(key, data)
  }

  remove(key: StorageKey): Promise<void> {
    return this.#inner.remove(key)
  }

  async loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    const position = (chunk: Chunk): number =>
      this.#saveOrder.get(JSON.stringify(chunk.key)) ?? Number.MAX_SAFE_INTEGER
    return (await this.#inner.loadRange(keyPrefix)).sort(
      (left, right) => position(left) - position(right),
    )
  }

  removeRange(keyPrefix: StorageKey): Promise<void> {
    return this.#inner.removeRange(keyPrefix)
  }
}

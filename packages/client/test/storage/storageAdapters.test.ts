import 'fake-indexeddb/auto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IndexedDBStorageAdapter } from '@automerge/automerge-repo-storage-indexeddb'
import { LmdbStorageAdapter } from '../../src/storage/LmdbStorageAdapter.ts'
import { MemoryStorageAdapter } from '../../src/storage/MemoryStorageAdapter.ts'
import { runStorageConformance } from '../../src/testing/runStorageConformance.ts'

runStorageConformance(
  'MemoryStorageAdapter',
  () => Promise.resolve({ adapter: new MemoryStorageAdapter() }),
  { persistent: false },
)

runStorageConformance('LmdbStorageAdapter', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'rowsync-lmdb-'))
  let current = await LmdbStorageAdapter.open(directory)
  return {
    adapter: current,
    reopen: async () => {
      await current.close()
      current = await LmdbStorageAdapter.open(directory)
      return current
    },
    teardown: async () => {
      await current.close()
      await rm(directory, { recursive: true, force: true })
    },
  }
})

let databaseCount = 0

runStorageConformance(
  'IndexedDBStorageAdapter (stock, on fake-indexeddb)',
  () => {
    databaseCount += 1
    const database = `rowsync-conformance-${databaseCount}`
    return Promise.resolve({
      adapter: new IndexedDBStorageAdapter(database),
      // The stock adapter has no close(); a second connection to the same database is how a
      // page reload looks to IndexedDB.
      reopen: () => Promise.resolve(new IndexedDBStorageAdapter(database)),
    })
  },
  {
    knownFailures: [
      // loadRange/removeRange use the upper bound [...prefix, '\uffff'], which excludes
      // components that start with U+FFFF and go on ('\uffffz' sorts after '\uffff').
      'prefixBeforeMaxCodeUnit',
      // save() awaits the database promise before put() clones the bytes, so a caller that
      // reuses its array right after calling save() changes what is stored.
      'saveCopiesInputAtCall',
      // fake-indexeddb's cursor returns its own stored key array (FDBCursor.key), so mutating
      // a returned key corrupts the fake's store; browsers return a fresh array.
      'loadRangeReturnsKeyCopies',
    ],
    // fake-indexeddb spends O(n) per transaction and per cursor step: measured here, 4,000
    // concurrent saves took 2.7 s and loading them back 7.2 s (10,000: about 60 s).
    concurrentSaves: 2_000,
  },
)

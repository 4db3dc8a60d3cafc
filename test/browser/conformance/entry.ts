// The page side of the real-browser storage conformance run: Rowsync's suite against the stock
// IndexedDB adapter on Chromium's own IndexedDB. Results go to `window.conformanceResults`.
import { IndexedDBStorageAdapter } from '@automerge/automerge-repo-storage-indexeddb'
import { runStorageConformance } from '@rowsync/client/testing'
import { runRegistered, type CaseResult } from './vitestShim.ts'

declare global {
  interface Window {
    conformanceResults?: CaseResult[] | { crashed: string }
  }
}

let databaseCount = 0

runStorageConformance(
  'IndexedDBStorageAdapter (stock, Chromium)',
  () => {
    databaseCount += 1
    const database = `rowsync-conformance-${databaseCount}`
    return Promise.resolve({
      adapter: new IndexedDBStorageAdapter(database),
      // No close() on the stock adapter; a second connection is how a reload looks to IndexedDB.
      reopen: () => Promise.resolve(new IndexedDBStorageAdapter(database)),
    })
  },
  {
    knownFailures: [
      // Adapter bugs, the same as on fake-indexeddb (see packages/client/test/storage):
      // the upper bound [...prefix, '\uffff'] misses components that start with U+FFFF and go
      // on, and save() clones the bytes only after awaiting the database.
      'prefixBeforeMaxCodeUnit',
      'saveCopiesInputAtCall',
    ],
  },
)

runRegistered().then(
  (results) => (window.conformanceResults = results),
  (error: unknown) => (window.conformanceResults = { crashed: String(error) }),
)

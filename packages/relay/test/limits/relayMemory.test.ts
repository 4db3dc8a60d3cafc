import * as Automerge from '@automerge/automerge'
import { generateAutomergeUrl, parseAutomergeUrl } from '@automerge/automerge-repo'
import type { DocumentId } from '@automerge/automerge-repo'
import type { RowDocument } from '@rowsync/schema'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { defaultLimits } from '../../src/config/defaultLimits.ts'
import { documentIdOf, rowDocument, rowPath, startTestRelay, users } from '../testRelay.ts'

// Relay memory is bounded by active work, not by stored rows: a real relay on loopback with the
// default limits keeps at most `loadedDocuments` documents loaded however many rows pass through
// it, and refuses a peer's flood of unknown document ids beyond `unknownDocumentsPerMinute`
// while other peers keep syncing. What broke without DocumentEvictor: every row ever touched
// stayed loaded (about 50 KB each), and every bogus id asked for left a handle behind.

// Above the default loadedDocuments (2,000); HTTP writes keep it within a test's time.
const rows = 3_000

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** The samples of the relay's /metrics, by series (`name{labels}`). */
async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const space = line.lastIndexOf(' ')
    samples.set(line.slice(0, space), Number(line.slice(space + 1)))
  }
  return samples
}

/** Runs `task` for 0..count-1, `concurrency` at a time. */
async function forEachIndex(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
) {
  let next = 0
  const worker = async () => {
    while (next < count) await task(next++)
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

function randomDocumentIds(count: number): DocumentId[] {
  return Array.from({ length: count }, () => parseAutomergeUrl(generateAutomergeUrl()).documentId)
}

const loaded = 'rowsync_relay_loaded_documents'
const refusedUnknown = 'rowsync_relay_refused_messages_total{reason="unknown_documents"}'

describe('relay memory', () => {
  it(`keeps at most loadedDocuments documents loaded after ${rows} rows passed through`, async () => {
    const { relay, as, connect } = await startTestRelay(cleanups)
    await forEachIndex(rows, 32, async (index) => {
      const { status } = await as(users.dana).put(rowPath('customers', `c-${index}`), {
        values: { name: `Customer ${index}` },
      })
      expect(status).toBe(201)
    })
    // A stock client reads rows back over sync: each loads again on the relay.
    const ada = await connect(users.ada)
    for (const index of [0, 1_000, 2_500, rows - 1]) {
      const found = await ada.find<RowDocument>(documentIdOf('customers', `c-${index}`))
      expect(String(found.doc().name)).toBe(`Customer ${index}`)
    }

    // Idle documents leave within the evictor's idle time plus a sweep.
    await vi.waitFor(
      async () =>
        expect((await scrape(relay.url)).get(loaded)).toBeLessThanOrEqual(
          defaultLimits.loadedDocuments,
        ),
      { timeout: 15_000, interval: 200 },
    )
    const samples = await scrape(relay.url)
    expect(samples.get('rowsync_relay_stored_rows')).toBe(rows)
    // An evicted row still syncs.
    const again = await ada.find<RowDocument>(documentIdOf('customers', 'c-1'))
    expect(String(again.doc().name)).toBe('Customer 1')
  }, 60_000)

  it('refuses a flood of unknown ids beyond the per-minute limit while others sync', async () => {
    const { relay, connect, logged } = await startTestRelay(cleanups)
    const flood = 150
    // Tom may create work orders, so the relay would make a handle for every id he asks for.
    const tom = await connect(users.tom)
    for (const documentId of randomDocumentIds(flood)) {
      tom.find(documentId).catch(() => undefined)
    }

    const dana = await connect(users.dana)
    const accepted = logged('Accepted changes')
    const created = dana.import<RowDocument>(
      Automerge.save(rowDocument('customers', 'c-1', { name: 'Acme' })),
      { docId: documentIdOf('customers', 'c-1') },
    )
    await accepted
    const ada = await connect(users.ada)
    const found = await ada.find<RowDocument>(created.documentId)
    expect(String(found.doc().name)).toBe('Acme')

    const unknown = flood - defaultLimits.unknownDocumentsPerMinute
    await vi.waitFor(
      async () =>
        expect((await scrape(relay.url)).get(refusedUnknown)).toBeGreaterThanOrEqual(unknown),
      { timeout: 10_000, interval: 100 },
    )
    const samples = await scrape(relay.url)
    // Only the allowed ids, Dana's row, and nothing for the refused ones.
    expect(samples.get(loaded)).toBeLessThanOrEqual(defaultLimits.unknownDocumentsPerMinute + 1)
    expect(samples.get('rowsync_relay_connected_peers')).toBe(3)
  }, 30_000)
})

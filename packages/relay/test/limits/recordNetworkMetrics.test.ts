import * as Automerge from '@automerge/automerge'
import type { RowDocument } from '@rowsync/schema'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { RelayMetrics } from '../../src/http/RelayMetrics.ts'
import { documentIdOf, rowDocument, startTestRelay, users } from '../testRelay.ts'

// The relay's /metrics as an operator scrapes it, from a real relay on loopback with stock
// automerge-repo clients.

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** The samples of a Prometheus text, by series (`name{labels}`). */
function parseSamples(text: string): Map<string, number> {
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const space = line.lastIndexOf(' ')
    samples.set(line.slice(0, space), Number(line.slice(space + 1)))
  }
  return samples
}

async function setup() {
  const started = await startTestRelay(cleanups)
  const scrape = async () => {
    const response = await fetch(`${started.relay.url}/metrics`)
    expect(response.status).toBe(200)
    return parseSamples(await response.text())
  }
  /** A customer row created by Dana over sync, once the relay accepted it. */
  const createCustomer = async (id: string) => {
    const dana = await started.connect(users.dana)
    const accepted = started.logged('Accepted changes')
    const handle = dana.import<RowDocument>(
      Automerge.save(rowDocument('customers', id, { name: 'Acme' })),
      { docId: documentIdOf('customers', id) },
    )
    await accepted
    return { dana, handle }
  }
  return { ...started, scrape, createCustomer }
}

const series = {
  peers: 'rowsync_relay_connected_peers',
  loaded: 'rowsync_relay_loaded_documents',
  storedRows: 'rowsync_relay_stored_rows',
  feedSequence: 'rowsync_relay_feed_sequence',
  messagesIn: 'rowsync_relay_sync_messages_total{direction="in"}',
  messagesOut: 'rowsync_relay_sync_messages_total{direction="out"}',
  bytesIn: 'rowsync_relay_sync_bytes_total{direction="in"}',
  bytesOut: 'rowsync_relay_sync_bytes_total{direction="out"}',
  refusedChanges: 'rowsync_relay_refused_messages_total{reason="changes"}',
}

describe('GET /metrics of a running relay', () => {
  it('starts with no peers, rows or traffic', async () => {
    const { scrape } = await setup()
    const samples = await scrape()
    for (const name of [series.peers, series.loaded, series.storedRows, series.feedSequence]) {
      expect(samples.get(name), name).toBe(0)
    }
    expect(samples.get(series.messagesIn) ?? 0).toBe(0)
  })

  it('shows connected peers, loaded documents, stored rows and the feed sequence', async () => {
    const { scrape, createCustomer } = await setup()
    await createCustomer('c-1')
    // The feed records the row once the relay's repo has saved it.
    await vi.waitFor(async () => expect((await scrape()).get(series.storedRows)).toBe(1))
    const samples = await scrape()
    expect(samples.get(series.peers)).toBe(1)
    expect(samples.get(series.loaded)).toBe(1)
    expect(samples.get(series.feedSequence)).toBeGreaterThanOrEqual(1)
  })

  it('counts sync messages and bytes in both directions, only growing', async () => {
    const { scrape, createCustomer } = await setup()
    await createCustomer('c-1')
    const first = await scrape()
    for (const name of [series.messagesIn, series.messagesOut, series.bytesIn, series.bytesOut]) {
      expect(first.get(name), name).toBeGreaterThan(0)
    }
    await createCustomer('c-2')
    const second = await scrape()
    expect(second.get(series.messagesIn)).toBeGreaterThan(first.get(series.messagesIn)!)
    expect(second.get(series.bytesOut)).toBeGreaterThan(first.get(series.bytesOut)!)
  })

  it('counts a refused change by reason', async () => {
    const { scrape, createCustomer, connect, logged } = await setup()
    const { handle } = await createCustomer('c-1')
    const tom = await connect(users.tom)
    const found = await tom.find<RowDocument>(handle.documentId)
    const refused = logged('Refused a message')
    found.change((draft) => {
      draft.name = new Automerge.ImmutableString('Taken over')
    })
    await refused
    expect((await scrape()).get(series.refusedChanges)).toBe(1)
  })
})

describe('RelayMetrics.observe', () => {
  it('adds the traffic since the last scrape to the counters', async () => {
    const metrics = new RelayMetrics({ defaultMetrics: false })
    let traffic = { messagesIn: 3, messagesOut: 2, bytesIn: 300, bytesOut: 200 }
    metrics.observe({ traffic: () => traffic })
    expect(parseSamples(await metrics.registry.metrics()).get(series.messagesIn)).toBe(3)
    traffic = { messagesIn: 5, messagesOut: 2, bytesIn: 500, bytesOut: 200 }
    const samples = parseSamples(await metrics.registry.metrics())
    expect(samples.get(series.messagesIn)).toBe(5)
    expect(samples.get(series.bytesIn)).toBe(500)
    expect(samples.get(series.bytesOut)).toBe(200)
  })

  it('keeps the value set on a metric without a source', async () => {
    const metrics = new RelayMetrics({ defaultMetrics: false })
    metrics.storedRows.set(7)
    metrics.observe({ feedSequence: () => 9 })
    const samples = parseSamples(await metrics.registry.metrics())
    expect(samples.get(series.storedRows)).toBe(7)
    expect(samples.get(series.feedSequence)).toBe(9)
  })
})

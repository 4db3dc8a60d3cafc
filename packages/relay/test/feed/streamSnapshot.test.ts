import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import * as Automerge from '@automerge/automerge'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { Feed } from '../../src/feed/Feed.ts'
import { RowDocuments } from '../../src/feed/RowDocuments.ts'
import { streamSnapshot } from '../../src/feed/streamSnapshot.ts'
import { RelayStorageAdapter } from '../../src/storage/RelayStorageAdapter.ts'
import { readDocumentStream } from './readDocumentStream.ts'
import { documentIdOf, relayConfig, rowDocument } from '../testRelay.ts'

// streamSnapshot against real storage and a sink that drains slowly: it writes one chunk at a
// time when the sink asks it to wait, and stops when the sink goes away.

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A feed over `rows` customers, stored as automerge-repo stores them. */
async function setup(rows: number) {
  const directory = await mkdtemp(join(tmpdir(), 'rowsync-snapshot-'))
  const storage = await RelayStorageAdapter.open(directory)
  cleanups.push(async () => {
    await storage.close()
    await rm(directory, { recursive: true, force: true })
  })
  const documents = new RowDocuments({
    schema: relayConfig().schema,
    storage,
    live: () => undefined,
  })
  const logger = pino({ level: 'silent' })
  const feed = await Feed.open({ storage, logger, project: (id) => documents.project(id) })
  for (let index = 0; index < rows; index++) {
    const doc = rowDocument('customers', `c-${index}`, { name: `Customer ${index}` })
    const documentId = documentIdOf('customers', `c-${index}`)
    await storage.save([documentId, 'snapshot', 'h'], Automerge.save(doc))
    Automerge.free(doc)
    await feed.record(documentId)
  }
  return { feed, documents }
}

describe('streamSnapshot', () => {
  it('waits for drain whenever the sink is full', async () => {
    const { feed, documents } = await setup(20)
    const received: Buffer[] = []
    let mostBufferedBeyondCurrent = 0
    const sink = new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _encoding, callback) {
        // Bytes the writer queued beyond the chunk being written: none if it waited for drain.
        mostBufferedBeyondCurrent = Math.max(
          mostBufferedBeyondCurrent,
          this.writableLength - chunk.length,
        )
        received.push(chunk)
        setImmediate(callback)
      },
    })
    const finished = new Promise((resolve) => sink.on('finish', resolve))

    const complete = await streamSnapshot({ feed, documents, include: () => true, sink })
    await finished

    expect(complete).toBe(true)
    expect(mostBufferedBeyondCurrent).toBe(0)
    // Header, 20 records, end marker.
    expect(received).toHaveLength(22)
    const snapshot = readDocumentStream(received)
    expect(snapshot.complete).toBe(true)
    expect(snapshot.records).toHaveLength(20)
  })

  it('sends only the rows include accepts', async () => {
    const { feed, documents } = await setup(3)
    const received: Buffer[] = []
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        received.push(chunk)
        callback()
      },
    })
    await streamSnapshot({ feed, documents, include: (entry) => entry.id === 'c-1', sink })
    const { header, records } = readDocumentStream(received)
    expect(header?.count).toBe(1)
    expect(records.map((record) => record.documentId)).toEqual([documentIdOf('customers', 'c-1')])
  })

  it('stops when the sink goes away', async () => {
    const { feed, documents } = await setup(5)
    let writes = 0
    const sink = new Writable({
      highWaterMark: 1,
      write(_chunk: Buffer, _encoding, callback) {
        writes += 1
        // The client disconnects while the first chunk is in flight.
        this.destroy()
        callback()
      },
    })
    sink.on('error', () => undefined)
    expect(await streamSnapshot({ feed, documents, include: () => true, sink })).toBe(false)
    expect(writes).toBe(1)
  })
})

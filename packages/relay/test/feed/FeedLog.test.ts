import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import type { FeedEntry, FeedRow } from '../../src/feed/FeedEntry.ts'
import { Feed } from '../../src/feed/Feed.ts'
import { FeedLog } from '../../src/feed/FeedLog.ts'
import { RelayStorageAdapter } from '../../src/storage/RelayStorageAdapter.ts'

// The feed's storage layout on the relay's real storage: numbering, one entry per document,
// reads across buckets of 1000, restarts, corrupt records.

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const logger = pino({ level: 'silent' })

async function setup() {
  const directory = await mkdtemp(join(tmpdir(), 'rowsync-feedlog-'))
  let storage = await RelayStorageAdapter.open(directory)
  cleanups.push(async () => {
    await storage.close()
    await rm(directory, { recursive: true, force: true })
  })
  const reopen = async () => {
    await storage.close()
    storage = await RelayStorageAdapter.open(directory)
    return { storage, log: await FeedLog.open(storage, logger) }
  }
  return { storage, log: await FeedLog.open(storage, logger), reopen }
}

function row(documentId: string, heads = [`h-${documentId}`]): FeedRow {
  return {
    documentId,
    table: 'customers',
    id: documentId,
    heads,
    deleted: false,
    values: { name: documentId },
    flagged: [],
    deleteConflict: false,
  }
}

async function all(scan: AsyncGenerator<FeedEntry>): Promise<FeedEntry[]> {
  const entries: FeedEntry[] = []
  for await (const entry of scan) entries.push(entry)
  return entries
}

const ids = (count: number, prefix = 'd') =>
  Array.from({ length: count }, (_, index) => `${prefix}${index}`)

describe('FeedLog', () => {
  it('numbers entries from 1 in the order given', async () => {
    const { log } = await setup()
    const appended = await log.append([row('a'), row('b')])
    expect(appended.map((entry) => [entry.documentId, entry.seq])).toEqual([
      ['a', 1],
      ['b', 2],
    ])
    expect(log.last).toBe(2)
  })

  it('keeps one entry per document, under its latest number', async () => {
    const { log } = await setup()
    await log.append([row('a'), row('b')])
    await log.append([row('a', ['h-a2'])])
    const entries = await all(log.scan(0, log.last))
    expect(entries.map((entry) => [entry.documentId, entry.seq, entry.heads])).toEqual([
      ['b', 2, ['h-b']],
      ['a', 3, ['h-a2']],
    ])
  })

  it('appends nothing when the heads did not change', async () => {
    const { log } = await setup()
    await log.append([row('a', ['x', 'y'])])
    expect(await log.append([row('a', ['y', 'x'])])).toEqual([])
    expect(log.last).toBe(1)
  })

  it('reads in sequence order across buckets, from any position', async () => {
    const { log } = await setup()
    for (let start = 0; start < 2500; start += 500) {
      await log.append(ids(500).map((_, index) => row(`d${start + index}`)))
    }
    const everything = await all(log.scan(0, log.last))
    expect(everything.map((entry) => entry.seq)).toEqual(
      Array.from({ length: 2500 }, (_, index) => index + 1),
    )
    const middle = await all(log.scan(999, 2001))
    expect(middle.map((entry) => entry.seq)).toEqual(
      Array.from({ length: 1002 }, (_, index) => index + 1000),
    )
    expect(await all(log.scan(2500, 2500))).toEqual([])
  })

  it('keeps its numbers and entries across a reopen', async () => {
    const { log, reopen } = await setup()
    await log.append([row('a'), row('b')])
    const reopened = await reopen()
    expect(reopened.log.last).toBe(2)
    const [entry] = await reopened.log.append([row('a', ['h-a2'])])
    expect(entry?.seq).toBe(3)
    expect((await all(reopened.log.scan(0, 3))).map((each) => each.documentId)).toEqual(['b', 'a'])
  })

  it('skips a corrupt entry', async () => {
    const { log, storage } = await setup()
    await log.append([row('a'), row('b')])
    await storage.save(
      ['rowsync-feed', 'seq', '0'.repeat(16), '1'.padStart(16, '0')],
      new TextEncoder().encode('{"seq":1,'),
    )
    expect((await all(log.scan(0, 2))).map((entry) => entry.documentId)).toEqual(['b'])
  })

  it('refuses to open a feed of another format', async () => {
    const { storage } = await setup()
    await storage.save(
      ['rowsync-feed', 'meta'],
      new TextEncoder().encode('{"version":99,"last":0,"complete":true}'),
    )
    await expect(FeedLog.open(storage, logger)).rejects.toThrow(/format 1/)
  })
})

describe('Feed', () => {
  async function feedOver(rows: readonly FeedRow[]) {
    const { storage } = await setup()
    const byId = new Map(rows.map((each) => [each.documentId, each]))
    const feed = await Feed.open({
      storage,
      logger,
      project: (documentId) => {
        const found = byId.get(documentId)
        return Promise.resolve(
          found === undefined
            ? undefined
            : {
                ok: true,
                projection: { ...found, deleteConflict: false },
              },
        )
      },
    })
    await Promise.all(rows.map((each) => feed.record(each.documentId)))
    return feed
  }

  it('gathers documents recorded together into one append, in call order', async () => {
    const feed = await feedOver(ids(3).map((id) => row(id)))
    const page = await feed.page({ since: 0, limit: 10, include: () => true })
    expect(page.entries.map((entry) => [entry.documentId, entry.seq])).toEqual([
      ['d0', 1],
      ['d1', 2],
      ['d2', 3],
    ])
  })

  it('skips documents it cannot project', async () => {
    const { storage } = await setup()
    const feed = await Feed.open({
      storage,
      logger,
      project: () => Promise.resolve({ ok: false, reason: 'not a row' }),
    })
    await feed.record('x')
    expect(feed.last).toBe(0)
  })

  it('bounds the entries one page examines', async () => {
    const feed = await feedOver(ids(30).map((id) => row(id)))
    const include = (entry: FeedEntry) => entry.documentId === 'd25'
    const first = await feed.page({ since: 0, limit: 5, include, maxScanned: 10 })
    expect(first).toEqual({ entries: [], next: 10, last: 30 })
    const second = await feed.page({ since: 20, limit: 5, include, maxScanned: 10 })
    expect(second.entries.map((entry) => entry.documentId)).toEqual(['d25'])
    expect(second.next).toBeNull()
  })
})

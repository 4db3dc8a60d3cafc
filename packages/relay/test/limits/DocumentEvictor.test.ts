import * as Automerge from '@automerge/automerge'
import { Repo, generateAutomergeUrl, parseAutomergeUrl } from '@automerge/automerge-repo'
import type { DocHandle, DocumentId, PeerId } from '@automerge/automerge-repo'
import { pino } from 'pino'
import { describe, expect, it, vi } from 'vitest'
import { DocumentEvictor } from '../../src/sync/DocumentEvictor.ts'
import { startStockClient, until } from '../network/relayFixture.ts'
import type { LimitsRelayOptions } from './limitsFixture.ts'
import { startLimitsRelay } from './limitsFixture.ts'

interface Row {
  title: string
}

type Cleanup = (cleanup: () => Promise<void> | void) => void

/** A relay with an evictor on a hand-driven clock that never sweeps by itself. */
async function setup(
  onTestFinished: Cleanup,
  options: {
    maxLoadedDocuments?: number
    idleMs?: number
    saveSettleMs?: number
    relay?: LimitsRelayOptions
  } = {},
) {
  const relay = await startLimitsRelay(onTestFinished, options.relay)
  const clock = { now: 0 }
  const evictor = new DocumentEvictor(relay.repo, {
    maxLoadedDocuments: options.maxLoadedDocuments ?? 0,
    idleMs: options.idleMs ?? 1_000,
    // Real time: short, so that tests wait little for automerge-repo's 100 ms save timer.
    saveSettleMs: options.saveSettleMs ?? 150,
    sweepIntervalMs: 0,
    now: () => clock.now,
    logger: relay.logger,
  })
  onTestFinished(() => evictor.stop())
  return { relay, evictor, clock }
}

/** Creates documents on the relay and waits until storage has them. */
async function createDocuments(repo: Repo, count: number) {
  const handles = Array.from({ length: count }, (_, index) =>
    repo.create<Row>({ title: `row ${index}` }),
  )
  await repo.flush(handles.map((handle) => handle.documentId))
  return handles
}

/**
 * Sweeps until the document has left: a sync handshake goes on for a few messages after the
 * relay has the changes, and a document with a message in flight stays (no event says a
 * handshake is over).
 */
async function evictOnceIdle(
  evictor: DocumentEvictor,
  clock: { now: number },
  repo: Repo,
  documentId: DocumentId,
) {
  await vi.waitFor(
    async () => {
      clock.now += 1_000
      await evictor.sweep()
      expect(repo.handles[documentId]).toBeUndefined()
    },
    { timeout: 5_000, interval: 10 },
  )
}

/** The relay's ready handle of a document a client created, once the client's sync created it. */
async function relayHandle(repo: Repo, documentId: DocumentId): Promise<DocHandle<Row>> {
  return vi.waitFor(
    () => {
      const handle = repo.handles[documentId]
      if (!handle?.isReady()) throw new Error(`relay has no ready ${documentId} yet`)
      return handle as DocHandle<Row>
    },
    { timeout: 5_000, interval: 10 },
  )
}

/**
 * A relay whose share policy can hold the Repo on one document's message (gated) until
 * released, with a stock client. No settle time: a document stays only for the message.
 */
async function setupGated(onTestFinished: Cleanup) {
  let gate: { documentId: DocumentId; enter: () => void; released: Promise<void> } | undefined
  const access = async (_peerId: PeerId, documentId: DocumentId) => {
    if (gate?.documentId === documentId) {
      const { enter, released } = gate
      gate = undefined
      enter()
      await released
    }
    return true
  }
  const { relay, evictor, clock } = await setup(onTestFinished, {
    relay: { access },
    saveSettleMs: 0,
  })
  const client = await startStockClient(onTestFinished, relay.urlFor('alice'))
  /** Holds the next access check of the document; `entered` once the Repo waits on it. */
  const gated = (documentId: DocumentId) => {
    let release = () => undefined as void
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    const entered = new Promise<void>((enter) => {
      gate = { documentId, enter, released }
    })
    return { entered, release }
  }
  return { relay, evictor, clock, client, gated }
}

/** A document a client created, once the relay has it and has saved it (no save is pending). */
async function createdOnRelay(relayRepo: Repo, clientRepo: Repo) {
  const created = clientRepo.create<Row>({ title: 'v1' })
  const documentId = created.documentId
  const saved = nextSave(relayRepo, documentId)
  await until(await relayHandle(relayRepo, documentId), (doc) => doc.title === 'v1')
  await saved
  return { created, documentId }
}

describe('DocumentEvictor', () => {
  it('keeps at most maxLoadedDocuments handles, evicting the least recently used', async ({
    onTestFinished,
  }) => {
    const { relay, evictor, clock } = await setup(onTestFinished, {
      maxLoadedDocuments: 3,
      saveSettleMs: 0,
    })
    const handles = await createDocuments(relay.repo, 5)
    for (const index of [4, 0, 2, 1, 3]) {
      clock.now += 1
      evictor.touch(handles[index]!.documentId)
    }
    clock.now += 1_000

    expect(await evictor.sweep()).toStrictEqual({ before: 5, evicted: 2, after: 3 })
    const kept = Object.keys(relay.repo.handles).sort()
    const expected = [2, 1, 3].map((index) => handles[index]!.documentId).sort()
    expect(kept).toStrictEqual(expected)
  })

  it('keeps handles used within idleMs, even above the bound', async ({ onTestFinished }) => {
    const { relay, evictor, clock } = await setup(onTestFinished, {
      idleMs: 1_000,
      saveSettleMs: 0,
    })
    const handles = await createDocuments(relay.repo, 3)
    for (const handle of handles) evictor.touch(handle.documentId)

    clock.now += 999
    expect((await evictor.sweep()).evicted).toBe(0)
    clock.now += 1
    expect((await evictor.sweep()).evicted).toBe(3)
    expect(evictor.loadedDocuments).toBe(0)
  })

  it('releases the handle and its synchronizer', async ({ onTestFinished }) => {
    const { relay, evictor, clock } = await setup(onTestFinished, { saveSettleMs: 0 })
    const [handle] = await createDocuments(relay.repo, 1)
    const documentId = handle!.documentId
    expect(relay.repo.synchronizer.docSynchronizers[documentId]).toBeDefined()

    clock.now += 1_000
    await evictor.sweep()
    expect(relay.repo.handles[documentId]).toBeUndefined()
    expect(relay.repo.synchronizer.docSynchronizers[documentId]).toBeUndefined()
    expect(handle!.isUnloaded()).toBe(true)
  })

  it('keeps a handle changed less than saveSettleMs ago, then evicts it with the change', async ({
    onTestFinished,
  }) => {
    const { relay, evictor, clock } = await setup(onTestFinished, { saveSettleMs: 300 })
    const [handle] = await createDocuments(relay.repo, 1)
    const documentId = handle!.documentId
    handle!.change((doc) => {
      doc.title = 'changed'
    })
    clock.now += 1_000
    expect((await evictor.sweep()).evicted).toBe(0)

    await evictOnceIdle(evictor, clock, relay.repo, documentId)
    const chunks = await relay.storage.loadRange([documentId])
    const stored = Automerge.load<Row>(concat(chunks.map((chunk) => chunk.data!)))
    expect(stored.title).toBe('changed')
    const reloaded = await relay.repo.find<Row>(documentId)
    expect(reloaded.doc().title).toBe('changed')
  })

  it('leaves the stored document intact once the save throttle has run', async ({
    onTestFinished,
  }) => {
    // What broke: repo.removeFromCache unloads the handle, whose document becomes empty; 100 ms
    // later the Repo saved that empty document as a compacted snapshot and deleted the stored
    // row (automerge-repo issue #435).
    const { relay, evictor, clock } = await setup(onTestFinished, { saveSettleMs: 0 })
    const [handle] = await createDocuments(relay.repo, 1)
    const saves: string[] = []
    relay.repo.on('doc-metrics', (event) => {
      if (event.type === 'doc-saved' || event.type === 'doc-compacted') saves.push(event.type)
    })
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    onTestFinished(() => {
      vi.useRealTimers()
    })
    clock.now += 1_000
    expect((await evictor.sweep()).evicted).toBe(1)

    vi.advanceTimersByTime(1_000)
    expect(saves).toStrictEqual([])
    vi.useRealTimers()
    const fresh = new Repo({ storage: relay.storage })
    expect((await fresh.find<Row>(handle!.documentId)).doc().title).toBe('row 0')
  })

  it('serves an evicted document to a peer that asks later, and syncs changes both ways', async ({
    onTestFinished,
  }) => {
    const { relay, evictor, clock } = await setup(onTestFinished)
    const first = await startStockClient(onTestFinished, relay.urlFor('alice'))
    const created = first.repo.create<Row>({ title: 'v1' })
    const documentId = created.documentId
    await until(await relayHandle(relay.repo, documentId), (doc) => doc.title === 'v1')
    await evictOnceIdle(evictor, clock, relay.repo, documentId)

    // Loaded from storage for a peer that never had it.
    const second = await startStockClient(onTestFinished, relay.urlFor('bob'))
    const found = await second.repo.find<Row>(documentId)
    expect(found.doc().title).toBe('v1')
    found.change((doc) => {
      doc.title = 'v2 from bob'
    })
    // The first peer still gets changes: the relay remembers who asked for the document.
    await until(created, (doc) => doc.title === 'v2 from bob')

    await evictOnceIdle(evictor, clock, relay.repo, documentId)
    // The first peer's sync state still says the relay has v2; the relay's is fresh.
    created.change((doc) => {
      doc.title = 'v3 from alice'
    })
    await until(found, (doc) => doc.title === 'v3 from alice')
    expect((await relayHandle(relay.repo, documentId)).doc().title).toBe('v3 from alice')
  })

  it('evicts handles of ids nobody holds; a row created later under such an id syncs', async ({
    onTestFinished,
  }) => {
    const { relay, evictor, clock } = await setup(onTestFinished)
    const client = await startStockClient(onTestFinished, relay.urlFor('alice'))
    const documentId = parseAutomergeUrl(generateAutomergeUrl()).documentId
    await expect(client.repo.find(documentId)).rejects.toThrow(/unavailable/)
    expect(relay.repo.handles[documentId]?.isUnavailable()).toBe(true)

    await evictOnceIdle(evictor, clock, relay.repo, documentId)
    expect(relay.repo.synchronizer.docSynchronizers[documentId]).toBeUndefined()

    // Another peer now brings a document under that id: nothing of the old handle is in the way.
    const other = await startStockClient(onTestFinished, relay.urlFor('bob'))
    const bytes = Automerge.save(Automerge.from({ title: 'created later' }))
    other.repo.import<Row>(bytes, { docId: documentId })
    await until(await relayHandle(relay.repo, documentId), (doc) => doc.title === 'created later')
  })

  it('never evicts a document while the Repo is handling a message for it', async ({
    onTestFinished,
  }) => {
    const { relay, evictor, clock, client, gated } = await setupGated(onTestFinished)
    const { created, documentId } = await createdOnRelay(relay.repo, client.repo)
    const gate = gated(documentId)
    created.change((doc) => {
      doc.title = 'v2'
    })
    await gate.entered
    clock.now += 10_000
    expect((await evictor.sweep()).evicted).toBe(0)

    gate.release()
    await until(await relayHandle(relay.repo, documentId), (doc) => doc.title === 'v2')
    await evictOnceIdle(evictor, clock, relay.repo, documentId)
    created.change((doc) => {
      doc.title = 'v3'
    })
    await until(await relayHandle(relay.repo, documentId), (doc) => doc.title === 'v3')
  })

  it('keeps a document syncing when a sweep ends while the Repo takes its message', async ({
    onTestFinished,
  }) => {
    // What broke without pinning documents in flight: the Repo checks access, finds the handle,
    // then makes the document's synchronizer. A sweep whose last steps ran between those (in
    // the same turn, some microtasks apart) left a synchronizer bound to the unloaded handle
    // under the id, and the relay never applied a change to that document again.
    const { relay, evictor, clock, client, gated } = await setupGated(onTestFinished)
    for (let microtasks = 0; microtasks <= 8; microtasks++) {
      const { created, documentId } = await createdOnRelay(relay.repo, client.repo)
      const gate = gated(documentId)
      created.change((doc) => {
        doc.title = 'v2'
      })
      await gate.entered
      clock.now += 10_000
      const sweeping = evictor.sweep()
      for (let turn = 0; turn < microtasks; turn++) await Promise.resolve()
      gate.release()
      await sweeping
      await until(await relayHandle(relay.repo, documentId), (doc) => doc.title === 'v2')
    }
  })

  it('sweeps by itself every sweepIntervalMs', async ({ onTestFinished }) => {
    const relay = await startLimitsRelay(onTestFinished)
    await createDocuments(relay.repo, 3)
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    onTestFinished(() => {
      vi.useRealTimers()
    })
    const evictor = new DocumentEvictor(relay.repo, {
      maxLoadedDocuments: 1,
      idleMs: 0,
      saveSettleMs: 0,
      sweepIntervalMs: 1_000,
      logger: relay.logger,
    })
    onTestFinished(() => evictor.stop())
    const swept = vi.spyOn(evictor, 'sweep')

    vi.advanceTimersByTime(1_000)
    expect(swept).toHaveBeenCalledTimes(1)
    await swept.mock.results[0]!.value
    expect(evictor.loadedDocuments).toBe(1)
  })

  it('stops: no more sweeps, and the Repo gets its own receiveMessage back', async ({
    onTestFinished,
  }) => {
    const { relay, evictor, clock } = await setup(onTestFinished, { saveSettleMs: 0 })
    const synchronizer = relay.repo.synchronizer
    expect(Object.hasOwn(synchronizer, 'receiveMessage')).toBe(true)
    await evictor.stop()
    expect(Object.hasOwn(synchronizer, 'receiveMessage')).toBe(false)
    await createDocuments(relay.repo, 2)
    clock.now += 1_000
    expect((await evictor.sweep()).evicted).toBe(0)
  })

  it('refuses a Repo without storage', () => {
    const logger = pino({ level: 'silent' })
    expect(() => new DocumentEvictor(new Repo(), { maxLoadedDocuments: 1, logger })).toThrow(
      /no storage/,
    )
  })
})

/** Resolves when the Repo starts saving the document (its save timer has run). */
function nextSave(repo: Repo, documentId: DocumentId): Promise<void> {
  return new Promise((resolve) => {
    const onMetrics = (event: { type: string; documentId: DocumentId }) => {
      if (event.documentId !== documentId) return
      if (event.type !== 'doc-saved' && event.type !== 'doc-compacted') return
      repo.off('doc-metrics', onMetrics)
      resolve()
    }
    repo.on('doc-metrics', onMetrics)
  })
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((total, part) => total + part.byteLength, 0))
  let offset = 0
  for (const part of parts) {
    bytes.set(part, offset)
    offset += part.byteLength
  }
  return bytes
}

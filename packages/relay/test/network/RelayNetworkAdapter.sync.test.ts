import type { AddressInfo } from 'node:net'
import * as Automerge from '@automerge/automerge'
import { Repo, cbor } from '@automerge/automerge-repo'
import type { DocumentId, RepoMessage } from '@automerge/automerge-repo'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { RelayNetworkAdapter } from '../../src/sync/RelayNetworkAdapter.ts'
import type { RefusedEvent } from '../../src/sync/RelayNetworkAdapter.ts'
import { RELAY_PEER_ID, RawClient, startRelay, startStockClient, until } from './relayFixture.ts'

interface Row {
  title: string
}

describe('RelayNetworkAdapter with stock automerge-repo clients', () => {
  it('syncs a document both ways with a stock WebSocketClientAdapter', async ({
    onTestFinished,
  }) => {
    const relay = await startRelay(onTestFinished)
    const client = await startStockClient(onTestFinished, relay.urlFor('alice'))

    const clientHandle = client.repo.create<Row>({ title: 'from the client' })
    const relayHandle = await relay.repo.find<Row>(clientHandle.url)
    await until(relayHandle, (doc) => doc.title === 'from the client')

    relayHandle.change((doc) => {
      doc.title = 'from the relay'
    })
    await until(clientHandle, (doc) => doc.title === 'from the relay')

    clientHandle.change((doc) => {
      doc.title = 'from the client again'
    })
    await until(relayHandle, (doc) => doc.title === 'from the client again')
    expect(relay.adapter.stats()).toMatchObject({ peers: 1, connections: 1, malformed: 0 })
  })

  it('serves a document created on the relay to a client that finds it', async ({
    onTestFinished,
  }) => {
    const relay = await startRelay(onTestFinished)
    const relayHandle = relay.repo.create<Row>({ title: 'stored on the relay' })
    const client = await startStockClient(onTestFinished, relay.urlFor('alice'))

    const clientHandle = await client.repo.find<Row>(relayHandle.url)
    expect(clientHandle.doc().title).toBe('stored on the relay')
  })

  it('replaces the socket of a peer that reconnects for the same user', async ({
    onTestFinished,
  }) => {
    const relay = await startRelay(onTestFinished)
    const first = await RawClient.open(onTestFinished, relay.urlFor('alice'))
    expect(await first.join('device-1')).toMatchObject({ type: 'peer', targetId: 'device-1' })
    const disconnected = new Promise((resolve) => relay.adapter.once('peer-disconnected', resolve))

    const second = await RawClient.open(onTestFinished, relay.urlFor('alice'))
    expect(await second.join('device-1')).toMatchObject({ type: 'peer', senderId: RELAY_PEER_ID })
    expect(await first.closed).toMatchObject({ code: 4001 })
    expect(await disconnected).toStrictEqual({ peerId: 'device-1' })
    expect(relay.adapter.stats()).toMatchObject({ peers: 1, connections: 1 })
  })

  it('refuses a message that inspect refuses, tells the client, and leaves the doc alone', async ({
    onTestFinished,
  }) => {
    const readOnly = new Set<DocumentId | undefined>()
    const relay = await startRelay(onTestFinished, {
      // Refuse changes to the protected document; let the handshake (no changes) through.
      inspect: (_peer, message: RepoMessage) => {
        const changes =
          message.type === 'sync' || message.type === 'request'
            ? Automerge.decodeSyncMessage(message.data).changes.length
            : 0
        const refused = changes > 0 && readOnly.has(documentIdOf(message))
        return Promise.resolve(refused ? { refuse: 'read-only row' } : 'pass')
      },
    })
    const relayHandle = relay.repo.create<Row>({ title: 'original' })
    readOnly.add(relayHandle.documentId)
    const refused = new Promise<RefusedEvent>((resolve) => relay.adapter.once('refused', resolve))
    const client = await startStockClient(onTestFinished, relay.urlFor('reader'))
    const errorMessage = nextErrorMessage(client.network.socket)
    const clientHandle = await client.repo.find<Row>(relayHandle.url)

    clientHandle.change((doc) => {
      doc.title = 'changed by a reader'
    })
    expect(await errorMessage).toStrictEqual({
      type: 'error',
      senderId: RELAY_PEER_ID,
      targetId: client.repo.peerId,
      message: 'read-only row',
      documentId: relayHandle.documentId,
    })
    expect(await refused).toStrictEqual({
      peerId: client.repo.peerId,
      user: { id: 'reader', roles: ['member'] },
      documentId: relayHandle.documentId,
      reason: 'read-only row',
    })
    expect(relayHandle.doc().title).toBe('original')
    expect(relay.adapter.stats().refused).toBe(1)
  })

  it('hands messages to inspect one at a time, in arrival order', async ({ onTestFinished }) => {
    const seen: number[] = []
    let active = 0
    let maxActive = 0
    const relay = await startRelay(onTestFinished, {
      inspect: async (_peer, message) => {
        active += 1
        maxActive = Math.max(maxActive, active)
        // Later messages resolve sooner: only a per-peer queue keeps them in order.
        const count = message.type === 'ephemeral' ? message.count : 0
        for (let turn = 0; turn < 20 - count; turn++) await Promise.resolve()
        seen.push(count)
        active -= 1
        return 'pass'
      },
    })
    const client = await RawClient.open(onTestFinished, relay.urlFor('alice'))
    await client.join('device-1')
    const documentId = relay.repo.create<Row>({ title: 't' }).documentId
    const delivered = new Promise<void>((resolve) => {
      relay.adapter.on('message', (message) => {
        if ('count' in message && message.count === 19) resolve()
      })
    })
    for (let count = 0; count < 20; count++) {
      client.send(ephemeral(documentId, count))
    }
    await delivered
    expect(seen).toStrictEqual(Array.from({ length: 20 }, (_, index) => index))
    expect(maxActive).toBe(1)
  })

  it('delivers everything in order when inspect lags behind (socket paused and resumed)', async ({
    onTestFinished,
  }) => {
    const relay = await startRelay(onTestFinished, {
      maxQueuedMessagesPerPeer: 2,
      inspect: async () => {
        for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve))
        return 'pass'
      },
    })
    const counts: number[] = []
    const allDelivered = new Promise<void>((resolve) => {
      relay.adapter.on('message', (message) => {
        if (!('count' in message) || typeof message.count !== 'number') return
        counts.push(message.count)
        if (message.count === 49) resolve()
      })
    })
    const client = await RawClient.open(onTestFinished, relay.urlFor('alice'))
    await client.join('device-1')
    const documentId = relay.repo.create<Row>({ title: 't' }).documentId
    for (let count = 0; count < 50; count++) client.send(ephemeral(documentId, count))
    await allDelivered
    expect(counts).toStrictEqual(Array.from({ length: 50 }, (_, index) => index))
    expect(await client.roundTrip()).toBe('open')
  })

  it('counts an inspect that throws as the refusal "internal error"', async ({
    onTestFinished,
  }) => {
    const relay = await startRelay(onTestFinished, {
      inspect: () => {
        throw new Error('policy store unreachable')
      },
    })
    const client = await RawClient.open(onTestFinished, relay.urlFor('alice'))
    await client.join('device-1')
    const documentId = relay.repo.create<Row>({ title: 't' }).documentId
    client.send(ephemeral(documentId, 1))
    expect(await client.next((message) => message.type === 'error')).toStrictEqual({
      type: 'error',
      senderId: RELAY_PEER_ID,
      targetId: 'device-1',
      message: 'internal error',
      documentId,
    })
    expect(relay.logs.some((record) => record.msg === 'inspect failed')).toBe(true)
    expect(await client.roundTrip()).toBe('open')
  })

  it('reads sockets accepted before the Repo connected the adapter', async ({ onTestFinished }) => {
    const adapter = new RelayNetworkAdapter({ logger: pino({ level: 'silent' }) })
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const accepted = new Promise<void>((resolve) =>
      server.on('connection', (socket) => {
        adapter.accept(socket, { id: 'alice', roles: [] })
        resolve()
      }),
    )
    await new Promise<void>((resolve) => server.once('listening', resolve))
    const { port } = server.address() as AddressInfo
    const client = await RawClient.open(onTestFinished, `ws://127.0.0.1:${port}/`)
    const answer = client.join('device-1')
    await accepted
    expect(adapter.isReady()).toBe(false)

    const repo = new Repo({ network: [adapter], peerId: RELAY_PEER_ID })
    onTestFinished(() => repo.shutdown())
    expect(await answer).toMatchObject({ type: 'peer', senderId: RELAY_PEER_ID })
  })
})

function ephemeral(documentId: DocumentId, count: number) {
  return {
    type: 'ephemeral',
    senderId: 'device-1',
    targetId: RELAY_PEER_ID,
    documentId,
    sessionId: 'session',
    count,
    // CBOR for the text 'hi': the Repo decodes ephemeral data as CBOR.
    data: Uint8Array.of(0x62, 0x68, 0x69),
  }
}

/** The first `error` message the relay sends on a stock client's socket. */
function nextErrorMessage(socket: unknown): Promise<Record<string, unknown>> {
  const webSocket = socket as { addEventListener: (type: 'message', listener: unknown) => void }
  return new Promise((resolve) => {
    webSocket.addEventListener('message', (event: { data: ArrayBuffer }) => {
      const message = decode(event.data)
      if (message?.type === 'error') resolve(message)
    })
  })
}

function decode(data: ArrayBuffer): Record<string, unknown> | undefined {
  try {
    return cbor.decode<Record<string, unknown>>(new Uint8Array(data))
  } catch {
    return undefined
  }
}

function documentIdOf(message: RepoMessage): DocumentId | undefined {
  return 'documentId' in message ? message.documentId : undefined
}

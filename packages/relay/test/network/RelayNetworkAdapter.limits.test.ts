import { describe, expect, it } from 'vitest'
import type { ConnectionClosedEvent } from '../../src/sync/RelayNetworkAdapter.ts'
import { RelayCloseCode } from '../../src/sync/network/RelayCloseCode.ts'
import { RELAY_PEER_ID, RawClient, startRelay, startStockClient, until } from './relayFixture.ts'

/** A valid message that the relay Repo ignores (remote heads gossip is off). */
function subscriptionChange(peerId: string) {
  return { type: 'remote-subscription-change', senderId: peerId, targetId: RELAY_PEER_ID, add: [] }
}

describe('RelayNetworkAdapter peer binding', () => {
  it('refuses a join declaring a peer id connected for another user', async ({
    onTestFinished,
  }) => {
    const relay = await startRelay(onTestFinished)
    const alice = await RawClient.open(onTestFinished, relay.urlFor('alice'))
    await alice.join('device-1')

    const mallory = await RawClient.open(onTestFinished, relay.urlFor('mallory'))
    expect(await mallory.join('device-1')).toMatchObject({
      type: 'error',
      message: 'peer id in use',
    })
    expect(await mallory.closed).toMatchObject({ code: RelayCloseCode.peerIdTaken })
    expect(await alice.roundTrip()).toBe('open')
    expect(relay.adapter.stats()).toMatchObject({ peers: 1, connections: 1 })
  })

  it('drops messages whose senderId is not the joined peer id', async ({ onTestFinished }) => {
    const relay = await startRelay(onTestFinished)
    const dropped: string[] = []
    relay.adapter.on('dropped', (event) => dropped.push(event.reason))
    const delivered: unknown[] = []
    relay.adapter.on('message', (message) => delivered.push(message))
    const client = await RawClient.open(onTestFinished, relay.urlFor('mallory'))
    await client.join('device-2')

    client.send(subscriptionChange('device-1'))
    client.send({ ...subscriptionChange('device-2'), targetId: 'someone-else' })
    expect(await client.roundTrip()).toBe('open')
    expect(dropped).toStrictEqual([
      'remote-subscription-change from another senderId',
      'remote-subscription-change addressed to another peer',
    ])
    expect(delivered).toStrictEqual([])
  })

  it('drops messages sent before join', async ({ onTestFinished }) => {
    const relay = await startRelay(onTestFinished)
    const client = await RawClient.open(onTestFinished, relay.urlFor('alice'))
    client.send(subscriptionChange('device-1'))
    expect(await client.roundTrip()).toBe('open')
    expect(relay.adapter.stats()).toMatchObject({ malformed: 1, peers: 0 })
  })

  it('closes with 1008 after maxViolationsPerPeer bad frames', async ({ onTestFinished }) => {
    const relay = await startRelay(onTestFinished, { maxViolationsPerPeer: 3 })
    const client = await RawClient.open(onTestFinished, relay.urlFor('alice'))
    for (let index = 0; index < 3; index++) client.socket.send(Uint8Array.of(0xff))
    expect(await client.closed).toMatchObject({ code: RelayCloseCode.policyViolation })
  })

  it('refuses a client that supports no protocol version of the relay with 4002', async ({
    onTestFinished,
  }) => {
    const relay = await startRelay(onTestFinished)
    const client = await RawClient.open(onTestFinished, relay.urlFor('alice'))
    client.send({
      type: 'join',
      senderId: 'device-1',
      peerMetadata: {},
      supportedProtocolVersions: ['2'],
    })
    expect(await client.next((message) => message.type === 'error')).toMatchObject({
      message: 'unsupported protocol version',
    })
    expect(await client.closed).toMatchObject({ code: RelayCloseCode.unsupportedProtocol })
  })

  // Regression: the stock server adapter exited the process on these one-byte frames.
  it('survives the frames 0xF6 and 0x00 and still accepts the join after them', async ({
    onTestFinished,
  }) => {
    const relay = await startRelay(onTestFinished)
    const client = await RawClient.open(onTestFinished, relay.urlFor('alice'))
    client.socket.send(Uint8Array.of(0xf6))
    client.socket.send(Uint8Array.of(0x00))
    client.socket.send('text frame')
    client.socket.send(new Uint8Array(0))
    expect(await client.join('device-1')).toMatchObject({ type: 'peer' })
    expect(relay.adapter.stats()).toMatchObject({ malformed: 4, peers: 1 })
  })
})

describe('RelayNetworkAdapter limits', () => {
  it('closes with 4029 above messagesPerSecondPerPeer', async ({ onTestFinished }) => {
    const relay = await startRelay(onTestFinished, { messagesPerSecondPerPeer: 20 })
    const client = await RawClient.open(onTestFinished, relay.urlFor('alice'))
    await client.join('device-1')
    for (let index = 0; index < 100; index++) client.send(subscriptionChange('device-1'))
    expect(await client.closed).toStrictEqual({ code: 4029, reason: 'rate limit' })
  })

  it('closes with 4029 above bytesPerSecondPerPeer', async ({ onTestFinished }) => {
    const relay = await startRelay(onTestFinished, { bytesPerSecondPerPeer: 10_000 })
    const client = await RawClient.open(onTestFinished, relay.urlFor('alice'))
    await client.join('device-1')
    const padding = new Uint8Array(8_000)
    for (let index = 0; index < 3; index++) {
      client.send({ ...subscriptionChange('device-1'), padding })
    }
    expect(await client.closed).toMatchObject({ code: RelayCloseCode.rateLimited })
  })

  it('closes the peer after peersPerUser with 4030', async ({ onTestFinished }) => {
    const relay = await startRelay(onTestFinished, { peersPerUser: 2 })
    const first = await RawClient.open(onTestFinished, relay.urlFor('carol'))
    const second = await RawClient.open(onTestFinished, relay.urlFor('carol'))
    const third = await RawClient.open(onTestFinished, relay.urlFor('carol'))
    const other = await RawClient.open(onTestFinished, relay.urlFor('dave'))
    expect(await first.join('carol-1')).toMatchObject({ type: 'peer' })
    expect(await second.join('carol-2')).toMatchObject({ type: 'peer' })
    expect(await third.join('carol-3')).toMatchObject({ type: 'error' })
    expect(await third.closed).toMatchObject({ code: RelayCloseCode.tooManyPeers })
    expect(await other.join('dave-1')).toMatchObject({ type: 'peer' })
    // A reconnect of a connected peer id is not an extra peer.
    const again = await RawClient.open(onTestFinished, relay.urlFor('carol'))
    expect(await again.join('carol-2')).toMatchObject({ type: 'peer' })
    expect(relay.adapter.stats()).toMatchObject({ peers: 3 })
  })

  it('refuses a socket above maxConnections with 1013', async ({ onTestFinished }) => {
    const relay = await startRelay(onTestFinished, { maxConnections: 1 })
    await RawClient.open(onTestFinished, relay.urlFor('alice'))
    const refused = await RawClient.open(onTestFinished, relay.urlFor('bob'))
    expect(await refused.closed).toMatchObject({ code: RelayCloseCode.tryAgainLater })
  })

  it('lets ws close a frame above maxFrameBytes with 1009', async ({ onTestFinished }) => {
    const relay = await startRelay(onTestFinished, { maxFrameBytes: 1024 })
    const client = await RawClient.open(onTestFinished, relay.urlFor('alice'))
    client.socket.send(new Uint8Array(2048))
    expect(await client.closed).toMatchObject({ code: RelayCloseCode.messageTooBig })
  })

  it('closes a socket that does not join in time with 4008', async ({ onTestFinished }) => {
    const relay = await startRelay(onTestFinished, { joinTimeoutMs: 30 })
    const client = await RawClient.open(onTestFinished, relay.urlFor('alice'))
    expect(await client.closed).toMatchObject({ code: RelayCloseCode.joinTimeout })
  })

  it('closes every socket with 1001 when the Repo shuts down', async ({ onTestFinished }) => {
    const relay = await startRelay(onTestFinished)
    const client = await RawClient.open(onTestFinished, relay.urlFor('alice'))
    await client.join('device-1')
    await relay.repo.shutdown()
    expect(await client.closed).toMatchObject({ code: RelayCloseCode.goingAway })
  })
})

describe('RelayNetworkAdapter keepalive', () => {
  it('terminates a peer after 3 unanswered pings and reports it disconnected', async ({
    onTestFinished,
  }) => {
    const relay = await startRelay(onTestFinished, { keepAliveIntervalMs: 20 })
    const client = await RawClient.open(onTestFinished, relay.urlFor('alice'), {
      autoPong: false,
    })
    let pings = 0
    client.socket.on('ping', () => (pings += 1))
    const closed = new Promise<ConnectionClosedEvent>((resolve) =>
      relay.adapter.once('connection-closed', resolve),
    )
    const disconnected = new Promise((resolve) => relay.adapter.once('peer-disconnected', resolve))
    await client.join('device-1')

    expect(await disconnected).toStrictEqual({ peerId: 'device-1' })
    expect(await closed).toMatchObject({ code: 1006, reason: 'keepalive timeout' })
    await client.closed
    expect(pings).toBe(3)
  })

  it('keeps a peer that answers pings', async ({ onTestFinished }) => {
    const relay = await startRelay(onTestFinished, { keepAliveIntervalMs: 10 })
    const client = await startStockClient(onTestFinished, relay.urlFor('alice'))
    const socket = client.network.socket as unknown as {
      on: (event: 'ping', f: () => void) => void
    }
    await new Promise<void>((resolve) => {
      let pings = 0
      socket.on('ping', () => {
        pings += 1
        if (pings === 10) resolve()
      })
    })
    const handle = client.repo.create({ still: 'connected' })
    const relayHandle = await relay.repo.find<{ still: string }>(handle.url)
    await until(relayHandle, (doc) => doc.still === 'connected')
    expect(relay.adapter.stats()).toMatchObject({ peers: 1 })
  })
})

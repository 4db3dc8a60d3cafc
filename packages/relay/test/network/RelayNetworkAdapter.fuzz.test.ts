import * as Automerge from '@automerge/automerge'
import { cbor } from '@automerge/automerge-repo'
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { RELAY_PEER_ID, RawClient, startRelay, startStockClient, until } from './relayFixture.ts'

const FRAMES = 2_000
const MAX_FRAME_BYTES = 64 * 1024
/** The peer id the fuzzing client joins as once joined. */
const FUZZER = 'fuzzer'
const MESSAGE_TYPES = [
  'join',
  'sync',
  'request',
  'ephemeral',
  'doc-unavailable',
  'remote-subscription-change',
  'remote-heads-changed',
  'peer',
  'error',
]

interface Frame {
  readonly data: Uint8Array | string
  readonly label: string
}

interface Row {
  round: number
}

/** Valid frames to truncate and corrupt: a join and repo messages with real sync data. */
function validFrames(documentId: string): Uint8Array[] {
  const doc = Automerge.from({ round: 0 })
  const [, request] = Automerge.generateSyncMessage(Automerge.init(), Automerge.initSyncState())
  if (request === null) throw new Error('validFrames: no request message')
  const [, syncState] = Automerge.receiveSyncMessage(doc, Automerge.initSyncState(), request)
  const [, withChanges] = Automerge.generateSyncMessage(doc, syncState)
  const envelope = { senderId: FUZZER, targetId: RELAY_PEER_ID, documentId }
  return [
    { type: 'join', senderId: FUZZER, peerMetadata: {}, supportedProtocolVersions: ['1'] },
    { type: 'request', ...envelope, data: request },
    { type: 'sync', ...envelope, data: withChanges },
    { type: 'ephemeral', ...envelope, data: cbor.encode('hi'), count: 1, sessionId: 's' },
    { type: 'doc-unavailable', ...envelope },
    {
      type: 'remote-heads-changed',
      ...envelope,
      newHeads: { storage: { heads: ['h'], timestamp: 1 } },
    },
  ].map((message) => cbor.encode(message))
}

/** Every kind of frame a hostile or broken client could send. */
function frameArbitrary(documentId: string): fc.Arbitrary<Frame> {
  const valid = validFrames(documentId)
  const syncData = cbor.decode<{ data: Uint8Array }>(valid[2]!)
  const anyValue = fc.anything({
    maxDepth: 3,
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withNullPrototype: true,
  })
  const field = fc.oneof(
    anyValue,
    fc.constant(documentId),
    fc.constant(syncData.data),
    fc.uint8Array({ maxLength: 64 }),
  )
  const wrongShape = fc
    .record(
      {
        type: fc.oneof(fc.constantFrom(...MESSAGE_TYPES), fc.string()),
        senderId: fc.oneof(fc.constant(FUZZER), anyValue),
        targetId: fc.oneof(fc.constant(RELAY_PEER_ID), anyValue),
        documentId: field,
        data: field,
        count: field,
        sessionId: field,
        add: field,
        remove: field,
        newHeads: field,
        peerMetadata: field,
        supportedProtocolVersions: field,
      },
      { requiredKeys: ['type', 'senderId', 'targetId'] },
    )
    .map((message) => ({ data: encodeOr(message), label: 'CBOR map of the wrong shape' }))
  const bytes = (label: string) => (data: Uint8Array) => ({ data, label })
  return fc.oneof(
    { weight: 4, arbitrary: fc.uint8Array({ maxLength: 256 }).map(bytes('random bytes')) },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(0xf6, 0x00, 0xff, 0x80, 0xa0, 0x40, 0x60)
        .map((byte) => ({ data: Uint8Array.of(byte), label: `one byte 0x${byte.toString(16)}` })),
    },
    { weight: 1, arbitrary: fc.constant({ data: new Uint8Array(0), label: 'empty frame' }) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom(...valid), fc.nat())
        .map(([frame, cut]) =>
          bytes('truncated valid frame')(frame.subarray(0, cut % frame.length)),
        ),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom(...valid), fc.nat(), fc.integer({ min: 1, max: 255 }))
        .map(([frame, at, mask]) => {
          const flipped = Uint8Array.from(frame)
          flipped[at % flipped.length]! ^= mask
          return bytes('valid frame with a flipped byte')(flipped)
        }),
    },
    { weight: 6, arbitrary: wrongShape },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom(0x5b, 0x7b, 0x9b, 0xbb, 0x5a, 0x9a, 0xba),
          fc.bigInt(0n, 2n ** 64n - 1n),
        )
        .map(([head, length]) => {
          const frame = new Uint8Array(12)
          frame[0] = head
          new DataView(frame.buffer).setBigUint64(1, length)
          return bytes('huge declared length')(frame)
        }),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 100, max: 60_000 })
        .map((depth) => bytes('deeply nested arrays')(new Uint8Array(depth).fill(0x81))),
    },
    {
      weight: 1,
      arbitrary: fc.constant({ data: new Uint8Array(MAX_FRAME_BYTES + 1), label: 'huge frame' }),
    },
    { weight: 1, arbitrary: fc.string().map((data) => ({ data, label: 'text frame' })) },
  )
}

function encodeOr(message: unknown): Uint8Array {
  try {
    return cbor.encode(message)
  } catch {
    return Uint8Array.of(0xff)
  }
}

describe('RelayNetworkAdapter fuzz', () => {
  it(
    `stays up and keeps syncing a stock client through ${FRAMES} hostile frames`,
    {
      timeout: 120_000,
    },
    async ({ onTestFinished }) => {
      const seed = Number(process.env['FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31))
      console.log(`fuzz seed ${seed} (replay with FUZZ_SEED=${seed})`)
      const consoleLog = vi.spyOn(console, 'log')
      onTestFinished(() => consoleLog.mockRestore())
      const relay = await startRelay(onTestFinished, { maxFrameBytes: MAX_FRAME_BYTES })
      const stock = await startStockClient(onTestFinished, relay.urlFor('alice'))
      const stockHandle = stock.repo.create<Row>({ round: 0 })
      const relayHandle = await relay.repo.find<Row>(stockHandle.url)
      const frames = fc.sample(frameArbitrary(relayHandle.documentId), { numRuns: FRAMES, seed })

      let client: RawClient | undefined
      let reconnects = 0
      for (const [index, frame] of frames.entries()) {
        const joined = index >= FRAMES / 2
        if (client === undefined || client.socket.readyState !== client.socket.OPEN) {
          reconnects += 1
          client = await RawClient.open(onTestFinished, relay.urlFor('fuzzer-user'))
          if (joined) {
            const answer = await client.join(FUZZER)
            expect(answer, `seed ${seed}, frame ${index}: join refused`).toMatchObject({
              type: 'peer',
            })
          }
        }
        client.socket.send(frame.data)
        await client.roundTrip()

        if (index % 250 === 249) {
          // The well-behaved client keeps syncing both ways.
          const round = index
          relayHandle.change((doc) => {
            doc.round = round
          })
          await until(stockHandle, (doc) => doc.round === round)
          stockHandle.change((doc) => {
            doc.round = round + 1
          })
          await until(relayHandle, (doc) => doc.round === round + 1)
        }
      }

      const stats = relay.adapter.stats()
      console.log(`fuzz: ${reconnects} connections, relay stats ${JSON.stringify(stats)}`)
      expect(stats.malformed).toBeGreaterThan(FRAMES / 2)
      expect(stats.peers).toBeGreaterThanOrEqual(1)
      const errors = relay.logs.filter((record) => record.level >= 50)
      expect(errors, `seed ${seed}: relay logged errors`).toStrictEqual([])
      const repoComplaints = consoleLog.mock.calls.filter(
        ([first]) => first !== undefined && String(first).startsWith('error'),
      )
      expect(repoComplaints, `seed ${seed}: the Repo logged errors`).toStrictEqual([])
    },
  )
})

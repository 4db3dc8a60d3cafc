import * as Automerge from '@automerge/automerge'
import { cbor, generateAutomergeUrl, parseAutomergeUrl } from '@automerge/automerge-repo'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseClientMessage } from '../../src/sync/network/parseClientMessage.ts'

const documentId = parseAutomergeUrl(generateAutomergeUrl()).documentId
const [, syncData] = Automerge.generateSyncMessage(
  Automerge.from({ a: 1 }),
  Automerge.initSyncState(),
)
const envelope = { senderId: 'client', targetId: 'relay', documentId }

function parse(message: unknown) {
  return parseClientMessage(cbor.encode(message))
}

describe('parseClientMessage', () => {
  it('accepts the join that the stock client sends', () => {
    const join = {
      type: 'join',
      senderId: 'peer-abc',
      peerMetadata: { storageId: '0f7c7a4e-4c1f-4b8e-9d3a-2f1e5b6c7d8e', isEphemeral: false },
      supportedProtocolVersions: ['1'],
    }
    expect(parse(join)).toStrictEqual({ ok: true, message: join })
  })

  it('accepts a sync message with Automerge sync data', () => {
    const message = { type: 'sync', ...envelope, data: syncData }
    expect(parse(message)).toMatchObject({ ok: true, message: { type: 'sync', documentId } })
  })

  it('drops fields it does not know', () => {
    const parsed = parse({ type: 'doc-unavailable', ...envelope, payload: new Uint8Array(99) })
    expect(parsed).toStrictEqual({ ok: true, message: { type: 'doc-unavailable', ...envelope } })
  })

  it.for<[string, unknown]>([
    ['a top-level array', ['sync']],
    ['a missing type', { ...envelope }],
    ['an unknown type', { type: 'surprise', ...envelope }],
    ['a numeric senderId', { type: 'doc-unavailable', ...envelope, senderId: 7 }],
    ['an invalid documentId', { type: 'doc-unavailable', ...envelope, documentId: 'x' }],
    ['sync data that is not a sync message', { type: 'sync', ...envelope, data: Uint8Array.of(1) }],
    ['sync data that is a string', { type: 'sync', ...envelope, data: 'abc' }],
    ['empty sync data', { type: 'request', ...envelope, data: new Uint8Array(0) }],
    [
      'a fractional ephemeral count',
      { type: 'ephemeral', ...envelope, data: cbor.encode(1), count: 1.5, sessionId: 's' },
    ],
    [
      'ephemeral data that is not CBOR',
      { type: 'ephemeral', ...envelope, data: Uint8Array.of(0x1c), count: 1, sessionId: 's' },
    ],
    [
      'a storage id that is not a storage key component',
      { type: 'join', senderId: 'p', peerMetadata: { storageId: 'a\u0000b' } },
    ],
    [
      'protocol versions that are not strings',
      { type: 'join', senderId: 'p', supportedProtocolVersions: [1] },
    ],
    [
      'newHeads of the wrong shape',
      { type: 'remote-heads-changed', ...envelope, newHeads: { s: 1 } },
    ],
    [
      'a subscription list of numbers',
      { type: 'remote-subscription-change', ...envelope, add: [1] },
    ],
  ])('refuses %s', ([, message]) => {
    expect(parse(message).ok).toBe(false)
  })

  it('refuses bytes that are not CBOR', () => {
    expect(parseClientMessage(Uint8Array.of(0x1c)).ok).toBe(false)
    expect(
      parseClientMessage(Uint8Array.of(0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)).ok,
    ).toBe(false)
  })

  it('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        parseClientMessage(bytes)
      }),
      { numRuns: 5_000 },
    )
  })

  it('never throws, whatever the CBOR value', () => {
    fc.assert(
      fc.property(fc.anything({ withMap: true, withSet: true, withBigInt: true }), (value) => {
        let bytes: Uint8Array
        try {
          bytes = cbor.encode(value)
        } catch {
          return
        }
        parseClientMessage(bytes)
      }),
      { numRuns: 2_000 },
    )
  })
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { storageKeyCodec } from '../../src/storage/storageKeyCodec.ts'

const NAMESPACE = 0x01

/** Strings of any UTF-16 code units, lone surrogates included. */
const anyCodeUnits = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
})
/** Strings from a few troublesome characters, so that keys often share prefixes. */
const troublesome = fc.string({
  unit: fc.constantFrom('a', 'b', '/', '\u0000', '\u0001', '\uffff', '\ud800', '\udc00', '😀'),
  maxLength: 4,
})
const component = fc.oneof(anyCodeUnits, troublesome, fc.string({ unit: 'binary' }))
const key = fc.array(component, { maxLength: 4 })
const troublesomeKey = fc.array(troublesome, { maxLength: 3 })

function startsWith(candidate: string[], prefix: string[]): boolean {
  return (
    prefix.length <= candidate.length && prefix.every((part, index) => candidate[index] === part)
  )
}

function inRange(bytes: Uint8Array, range: { start: Uint8Array; end: Uint8Array }): boolean {
  return Buffer.compare(range.start, bytes) <= 0 && Buffer.compare(bytes, range.end) < 0
}

describe('storageKeyCodec', () => {
  it('decodes every encoded key back to the same strings', () => {
    fc.assert(
      fc.property(key, (original) => {
        expect(storageKeyCodec.decode(storageKeyCodec.encode(original, NAMESPACE))).toStrictEqual(
          original,
        )
      }),
    )
  })

  it('decodes a key inside a larger buffer, and after a known prefix', () => {
    fc.assert(
      fc.property(
        key.chain((full) => fc.tuple(fc.constant(full), fc.nat({ max: full.length }))),
        fc.uint8Array({ maxLength: 4 }),
        fc.uint8Array({ maxLength: 4 }),
        ([original, prefixLength], before, after) => {
          const encoded = storageKeyCodec.encode(original, NAMESPACE)
          const buffer = Uint8Array.from([...before, ...encoded, ...after])
          const end = before.length + encoded.length
          expect(storageKeyCodec.decode(buffer, before.length, end)).toStrictEqual(original)
          const prefix = original.slice(0, prefixLength)
          const known = { prefix, length: storageKeyCodec.encode(prefix, NAMESPACE).length }
          const decoded = storageKeyCodec.decode(buffer, before.length, end, known)
          expect(decoded).toStrictEqual(original)
          // A fresh array each time: the known prefix is copied, never handed out.
          expect(decoded).not.toBe(prefix)
        },
      ),
    )
  })

  it('gives different keys different bytes', () => {
    fc.assert(
      fc.property(fc.oneof(key, troublesomeKey), fc.oneof(key, troublesomeKey), (left, right) => {
        const same =
          Buffer.compare(
            storageKeyCodec.encode(left, NAMESPACE),
            storageKeyCodec.encode(right, NAMESPACE),
          ) === 0
        expect(same).toBe(JSON.stringify(left) === JSON.stringify(right))
      }),
    )
  })

  it('puts a key in the byte range of a prefix exactly when its components start with it', () => {
    const related = fc.oneof(
      fc.tuple(troublesomeKey, troublesomeKey),
      fc.tuple(key, key),
      // a prefix cut from the key, sometimes with its last component shortened or extended
      key.chain((full) =>
        fc.tuple(
          fc.constant(full),
          fc
            .tuple(fc.nat({ max: full.length }), fc.constantFrom('', 'x', '\u0000', '\uffff'))
            .map(([length, tail]) => {
              const prefix = full.slice(0, length)
              const last = prefix.at(-1)
              if (last !== undefined && tail !== '') prefix[prefix.length - 1] = last + tail
              return prefix
            }),
        ),
      ),
    )
    fc.assert(
      fc.property(related, ([candidate, prefix]) => {
        const range = storageKeyCodec.prefixRange(prefix, NAMESPACE)
        expect(inRange(storageKeyCodec.encode(candidate, NAMESPACE), range)).toBe(
          startsWith(candidate, prefix),
        )
      }),
    )
  })

  it('keeps namespaces apart, even for the empty prefix', () => {
    const range = storageKeyCodec.prefixRange([], NAMESPACE)
    expect(inRange(storageKeyCodec.encode(['a'], NAMESPACE - 1), range)).toBe(false)
    expect(inRange(storageKeyCodec.encode(['a'], NAMESPACE + 1), range)).toBe(false)
    expect(inRange(storageKeyCodec.encode([], NAMESPACE), range)).toBe(true)
  })

  it('refuses bytes that end inside a character or a component', () => {
    expect(() => storageKeyCodec.decode(Uint8Array.of(NAMESPACE, 0xe6, 0x97))).toThrow(
      /ends inside a character/,
    )
    expect(() => storageKeyCodec.decode(Uint8Array.of(NAMESPACE, 0x61))).toThrow(/not terminated/)
    expect(() => storageKeyCodec.decode(Uint8Array.of(NAMESPACE, 0x80, 0x00))).toThrow(
      /cannot start a character/,
    )
    expect(() => storageKeyCodec.decode(Uint8Array.of(NAMESPACE, 0xc3, 0x41, 0x00))).toThrow(
      /not a continuation byte/,
    )
  })
})

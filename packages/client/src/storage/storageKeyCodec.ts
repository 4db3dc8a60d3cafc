import type { StorageKey } from '@automerge/automerge-repo/slim'

/** Byte that ends every key component; never occurs inside an encoded component. */
const COMPONENT_END = 0x00
/** The UTF-16 code units of the component being decoded; reused to spare allocations. */
const codeUnits: number[] = []
/** The components of the key being decoded; reused to spare allocations. */
const decodedComponents: string[] = []

/**
 * Encodes storage keys (string arrays) as bytes such that key K starts with key prefix P
 * (component by component) exactly when encode(K) starts with encode(P) byte by byte, so a
 * prefix query is one contiguous byte range of a B-tree.
 *
 * Each component is written in modified WTF-8 and followed by a 0x00 byte:
 * - WTF-8 (UTF-8 that also encodes lone surrogates) keeps every JavaScript string distinct,
 *   where TextEncoder would turn lone surrogates into U+FFFD and let two keys collide;
 * - U+0000 is written as the overlong pair 0xC0 0x80 (as Java's modified UTF-8 does), so
 *   0x00 never occurs inside a component and can end it: ['a', 'b'] and ['a\u0000b'] and
 *   ['a/b'] stay three keys, and ['ab'] does not start with ['a'].
 *
 * Byte order is not string order; callers must not rely on it.
 */
export const storageKeyCodec = {
  /**
   * Encodes a key, prepending `namespace` (one byte that callers use to keep keys apart from
   * their own metadata records).
   * @param key - the storage key; any strings, including '' and lone surrogates
   * @param namespace - a byte, 0 to 255, written before the components
   */
  encode(key: StorageKey, namespace: number): Uint8Array {
    const bytes: number[] = [namespace]
    for (const component of key) {
      writeComponent(component, bytes)
      bytes.push(COMPONENT_END)
    }
    return Uint8Array.from(bytes)
  },

  /**
   * Decodes bytes written by {@link storageKeyCodec.encode}, skipping the namespace byte.
   * @param bytes - holds the encoded key at [start, end)
   * @param start - where the encoded key starts (its namespace byte); defaults to 0
   * @param end - where the encoded key ends; defaults to bytes.length
   * @param known - a prefix of the key that the caller knows the bytes start with (as every
   *   key of a {@link storageKeyCodec.prefixRange} does), and the length of its encoding
   *   (namespace byte included): its components are copied, not decoded again
   * @throws Error if the bytes are not a well-formed encoded key (a corrupt record)
   */
  decode(
    bytes: Uint8Array,
    start = 0,
    end = bytes.length,
    known?: { prefix: StorageKey; length: number },
  ): StorageKey {
    // Code units and components are collected in reused arrays, which spares allocations.
    let units = 0
    let components = 0
    let position = start + (known === undefined ? 1 : known.length)
    while (position < end) {
      const lead = byteAt(bytes, position, end)
      if (lead === COMPONENT_END) {
        codeUnits.length = units
        decodedComponents[components++] = String.fromCharCode.apply(null, codeUnits)
        units = 0
        position += 1
      } else if (lead < 0x80) {
        codeUnits[units++] = lead
        position += 1
      } else if (lead >= 0xc0 && lead < 0xe0) {
        codeUnits[units++] = ((lead & 0x1f) << 6) | continuation(bytes, position + 1, end)
        position += 2
      } else if (lead >= 0xe0 && lead < 0xf0) {
        codeUnits[units++] =
          ((lead & 0x0f) << 12) |
          (continuation(bytes, position + 1, end) << 6) |
          continuation(bytes, position + 2, end)
        position += 3
      } else if (lead >= 0xf0 && lead < 0xf8) {
        const codePoint =
          ((lead & 0x07) << 18) |
          (continuation(bytes, position + 1, end) << 12) |
          (continuation(bytes, position + 2, end) << 6) |
          continuation(bytes, position + 3, end)
        const offset = codePoint - 0x10000
        codeUnits[units++] = 0xd800 | (offset >> 10)
        codeUnits[units++] = 0xdc00 | (offset & 0x3ff)
        position += 4
      } else {
        throw new Error(
          `storageKeyCodec.decode: byte 0x${lead.toString(16)} at ${position} cannot start a character`,
        )
      }
    }
    if (units > 0) {
      throw new Error('storageKeyCodec.decode: the last key component is not terminated')
    }
    // Copied at the exact length (an array grown by push keeps room for 17 elements).
    decodedComponents.length = components
    return known === undefined ? decodedComponents.slice() : known.prefix.concat(decodedComponents)
  },

  /**
   * The byte range [start, end) that holds exactly the keys starting with `prefix`.
   * @param prefix - the key prefix; [] matches every key of the namespace
   * @param namespace - the namespace byte given to {@link storageKeyCodec.encode}
   */
  prefixRange(prefix: StorageKey, namespace: number): { start: Uint8Array; end: Uint8Array } {
    const start = storageKeyCodec.encode(prefix, namespace)
    // The last byte is the namespace or COMPONENT_END (0x00), both below 0xff, so adding one
    // gives the first byte string after every string that starts with `start`.
    const end = start.slice()
    end[end.length - 1] = (start[start.length - 1] ?? 0) + 1
    return { start, end }
  },
}

function writeComponent(component: string, bytes: number[]): void {
  for (let index = 0; index < component.length; index++) {
    const unit = component.charCodeAt(index)
    if (unit === 0) {
      bytes.push(0xc0, 0x80)
    } else if (unit < 0x80) {
      bytes.push(unit)
    } else if (unit < 0x800) {
      bytes.push(0xc0 | (unit >> 6), 0x80 | (unit & 0x3f))
    } else if (unit >= 0xd800 && unit < 0xdc00 && isLowSurrogate(component, index + 1)) {
      const codePoint =
        0x10000 + ((unit - 0xd800) << 10) + (component.charCodeAt(index + 1) - 0xdc00)
      bytes.push(
        0xf0 | (codePoint >> 18),
        0x80 | ((codePoint >> 12) & 0x3f),
        0x80 | ((codePoint >> 6) & 0x3f),
        0x80 | (codePoint & 0x3f),
      )
      index += 1
    } else {
      // Everything else, lone surrogates included, takes three bytes.
      bytes.push(0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f))
    }
  }
}

function isLowSurrogate(text: string, index: number): boolean {
  const unit = text.charCodeAt(index)
  return unit >= 0xdc00 && unit < 0xe000
}

function byteAt(bytes: Uint8Array, position: number, end: number): number {
  const byte = position < end ? bytes[position] : undefined
  if (byte === undefined) {
    throw new Error(`storageKeyCodec.decode: key ends inside a character at byte ${position}`)
  }
  return byte
}

function continuation(bytes: Uint8Array, position: number, end: number): number {
  const byte = byteAt(bytes, position, end)
  if ((byte & 0xc0) !== 0x80) {
    throw new Error(
      `storageKeyCodec.decode: byte 0x${byte.toString(16)} at ${position} is not a continuation byte`,
    )
  }
  return byte & 0x3f
}

import type { StorageKey } from '@automerge/automerge-repo/slim'
import { InvalidStorageKeyError } from './InvalidStorageKeyError.ts'

/** Byte after every key component; refused inside components, so it cannot be forged. */
const SEPARATOR = 0x00
/** First byte of every chunk key; 0x00 is kept for the store's own metadata record. */
const CHUNK_NAMESPACE = 0x01
/**
 * lmdb-js refuses keys over 1978 bytes at the default page size; using that bound on every
 * machine means a key accepted on one is accepted on all.
 */
const MAX_ENCODED_KEY_BYTES = 1978
/** A lone surrogate: TextEncoder would write it as U+FFFD, so two keys could collide. */
const LONE_SURROGATE = /\p{Cs}/u
const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The relay's storage key codec: the namespace byte, then each component in UTF-8 followed
 * by a 0x00 byte. Components holding U+0000 or lone surrogates are refused (the relay
 * chooses its keys: document ids, 'snapshot', hashes, storage ids), which keeps the codec one
 * line where the client needs an escaping one. Key K starts with prefix P component by
 * component exactly when encode(K) starts with encode(P) byte by byte, so ['a'] matches
 * ['a', 'x'] and not ['ab'], and a prefix query is one contiguous range of LMDB's B-tree.
 */
export const relayStorageKey = {
  /**
   * Encodes a key.
   * @param operation - named in the error, e.g. 'RelayStorageAdapter.save'
   * @param key - the storage key; may be empty only when `asPrefix` is true
   * @param asPrefix - true for loadRange and removeRange, whose prefix [] means every key
   * @throws InvalidStorageKeyError if the key cannot be stored (see the class)
   */
  encode(operation: string, key: StorageKey, asPrefix = false): Uint8Array {
    const refuse = (reason: string): never => {
      const shown = safeStringify(key)
      throw new InvalidStorageKeyError(`${operation}: key ${shown} is refused: ${reason}`)
    }
    if (!Array.isArray(key)) return refuse('a key is an array of strings')
    if (key.length === 0 && !asPrefix) return refuse('an empty key names no record')
    const parts: Uint8Array[] = [Uint8Array.of(CHUNK_NAMESPACE)]
    let length = 1
    for (const [index, component] of key.entries()) {
      if (typeof component !== 'string') return refuse(`component ${index} is not a string`)
      if (component.includes('\u0000')) {
        return refuse(`component ${index} contains U+0000, the component separator`)
      }
      if (LONE_SURROGATE.test(component)) {
        return refuse(`component ${index} contains a lone surrogate (not valid UTF-16)`)
      }
      const bytes = Buffer.from(component, 'utf8')
      parts.push(bytes, Uint8Array.of(SEPARATOR))
      length += bytes.length + 1
    }
    if (length > MAX_ENCODED_KEY_BYTES) {
      return refuse(`it encodes to ${length} bytes, over LMDB's limit of ${MAX_ENCODED_KEY_BYTES}`)
    }
    return Buffer.concat(parts, length)
  },

  /**
   * The byte range [start, end) holding every key that starts with `prefix`.
   * @param encodedPrefix - the prefix as {@link relayStorageKey.encode} returned it
   */
  prefixRange(encodedPrefix: Uint8Array): { start: Uint8Array; end: Uint8Array } {
    // Every encoded prefix ends in 0x00 (after a component) or 0x01 (the namespace alone),
    // never 0xff, so raising its last byte by one bounds the range.
    const end = Uint8Array.from(encodedPrefix)
    end[end.length - 1] = (end.at(-1) ?? 0) + 1
    return { start: encodedPrefix, end }
  },

  /**
   * Decodes a chunk key read back from LMDB.
   * @throws Error if the bytes are not a chunk key this codec wrote (a corrupt record)
   */
  decode(bytes: Uint8Array): StorageKey {
    if (bytes[0] !== CHUNK_NAMESPACE || bytes.at(-1) !== SEPARATOR) {
      throw new Error(`relayStorageKey.decode: bytes ${hex(bytes)} are not a chunk key`)
    }
    const key: string[] = []
    let start = 1
    for (let index = 1; index < bytes.length; index++) {
      if (bytes[index] !== SEPARATOR) continue
      key.push(utf8.decode(bytes.subarray(start, index)))
      start = index + 1
    }
    return key
  },
}

/** The key as JSON, cut to 200 characters, for error messages; never throws. */
function safeStringify(key: unknown): string {
  try {
    return (JSON.stringify(key) ?? String(key)).slice(0, 200)
  } catch {
    return '(unprintable)'
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.subarray(0, 64)).toString('hex')
}

/**
 * Thrown by {@link RelayStorageAdapter} for a storage key it cannot store: empty, with a
 * component that is not a string, holds U+0000 (the component separator) or a lone
 * surrogate, or too long once encoded. The relay chooses its keys, so this is a bug in the
 * caller; the message names the operation, the key and the reason.
 */
export class InvalidStorageKeyError extends Error {
  override readonly name = 'InvalidStorageKeyError'
}

import { sha256 } from '@noble/hashes/sha2'
import bs58check from 'bs58check'

/** A validated row id: 1 to 128 characters of letters, digits and `._:-`. */
export type RowId = string & { readonly __brand: 'RowId' }

/** An automerge-repo document id (base58check of 16 bytes). */
export type RowDocumentId = string & { readonly __brand: 'RowDocumentId' }

const rowIdPattern = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * Checks whether a value is a valid row id.
 * @param value - any value
 */
export function isRowId(value: unknown): value is RowId {
  return typeof value === 'string' && rowIdPattern.test(value)
}

/**
 * Validates a row id.
 * @param value - an untrusted row id
 * @throws {TypeError} when the value is not 1 to 128 characters of letters, digits and `._:-`
 */
export function toRowId(value: unknown): RowId {
  if (!isRowId(value)) {
    throw new TypeError(
      `Invalid row id ${JSON.stringify(value)}: use 1 to 128 letters, digits or . _ : -`,
    )
  }
  return value
}

const encoder = new TextEncoder()

/**
 * Derives the Automerge document id of a row from (database, table, row id), so two devices
 * that create the same row offline write two histories of one document, which then merge.
 * The id is the first 16 bytes of SHA-256 over the three names, base58check-encoded like
 * every automerge-repo document id.
 * @param database - the schema's database name
 * @param table - the table name
 * @param rowId - the row id
 */
export function rowDocumentId(database: string, table: string, rowId: RowId): RowDocumentId {
  const digest = sha256(encoder.encode(`rowsync\u0000${database}\u0000${table}\u0000${rowId}`))
  return bs58check.encode(digest.subarray(0, 16)) as RowDocumentId
}

import { concatBytes } from '@noble/hashes/utils'
import type { RowProjection } from '../rows/RowProjection.ts'

/** The header of a document stream. */
export interface DocumentStreamHeader {
  /**
   * The relay's feed position when the stream started: continue with `/v1/feed?since=seq`.
   * 0 in uploads.
   */
  readonly seq: number
  /** How many document records follow. */
  readonly count: number
  /** The sum of the records' document lengths, for progress (exact unless rows change). */
  readonly bytes: number
  /** How many of the records belong to each table, for progress per table. */
  readonly tables: Readonly<Record<string, number>>
}

/** One document record of a document stream. */
export interface DocumentRecord {
  readonly documentId: string
  /** The sequence number of the row's feed entry; 0 in uploads. */
  readonly seq: number
  /**
   * The row as the sender derived it from the document, so a receiver that trusts the sender
   * can store the row without loading the document. Absent in uploads.
   */
  readonly projection?: RowProjection
  /** Automerge bytes: a saved document, or changes (`saveSince`), possibly concatenated. */
  readonly document: Uint8Array
}

/** What {@link DocumentStreamReader.push} yields, in stream order. */
export type DocumentStreamItem =
  | { readonly kind: 'header'; readonly header: DocumentStreamHeader }
  | { readonly kind: 'record'; readonly record: DocumentRecord }
  | { readonly kind: 'end' }

/** Bytes that break the document stream format. */
export class DocumentStreamError extends Error {
  override name = 'DocumentStreamError'
}

const magic = [0x52, 0x53, 0x4e, 0x50] // "RSNP"
const version = 2
/** The fixed part of the header, before the table counts. */
const headerLength = 29
/** The most bytes of table counts a reader accepts. */
const maxTablesLength = 1024 * 1024
const projectionFlag = 0x01
const encoder = new TextEncoder()
const decoder = new TextDecoder()

function encodeProjection({ documentId: _, ...rest }: RowProjection): Uint8Array {
  return encoder.encode(JSON.stringify(rest))
}

function decodeProjection(documentId: string, bytes: Uint8Array): RowProjection {
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(bytes))
  } catch {
    throw new DocumentStreamError(`the projection of ${documentId} is not JSON`)
  }
  const record = value as Record<string, unknown> | null
  if (
    typeof record !== 'object' ||
    record === null ||
    typeof record.table !== 'string' ||
    typeof record.id !== 'string' ||
    typeof record.deleted !== 'boolean' ||
    typeof record.values !== 'object' ||
    record.values === null ||
    !Array.isArray(record.flagged) ||
    typeof record.deleteConflict !== 'boolean' ||
    !Array.isArray(record.heads) ||
    !record.heads.every((head) => typeof head === 'string')
  ) {
    throw new DocumentStreamError(`the projection of ${documentId} is not a row projection`)
  }
  return { ...(record as unknown as Omit<RowProjection, 'documentId'>), documentId }
}

function decodeTables(bytes: Uint8Array): Record<string, number> {
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(bytes))
  } catch {
    throw new DocumentStreamError("the header's table counts are not JSON")
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    !Object.values(value).every((count) => Number.isSafeInteger(count) && (count as number) >= 0)
  ) {
    throw new DocumentStreamError("the header's table counts are not counts per table")
  }
  return value as Record<string, number>
}

/**
 * The binary framing of document streams, version 2: the snapshot (`GET /v1/snapshot`), the
 * documents a device asks for (`POST /v1/documents`) and uploads (`POST /v1/upload`) all use
 * it. Integers are unsigned big-endian.
 *
 * ```
 * header   "RSNP" | version u8 = 2 | seq u64 | count u32 | bytes u64 | tablesLength u32
 *          | tables (UTF-8 JSON: records per table, e.g. {"workOrders":120})
 * record   idLength u8 (1..255) | documentId (ASCII) | seq u64 | flags u8 (bit 0: projection)
 *          | [projectionLength u32 | projection (UTF-8 JSON, a RowProjection without its id)]
 *          | length u32 | document (length bytes)
 * end      u8 0   (an idLength of 0; a stream without it was cut off)
 * ```
 */
export const documentStream = {
  contentType: 'application/vnd.rowsync.documents',
  version,

  /** Encodes the header. */
  header(header: DocumentStreamHeader): Uint8Array {
    const tables = encoder.encode(JSON.stringify(header.tables))
    const bytes = new Uint8Array(headerLength + tables.byteLength)
    const view = new DataView(bytes.buffer)
    bytes.set(magic, 0)
    view.setUint8(4, version)
    view.setBigUint64(5, BigInt(header.seq))
    view.setUint32(13, header.count)
    view.setBigUint64(17, BigInt(header.bytes))
    view.setUint32(25, tables.byteLength)
    bytes.set(tables, headerLength)
    return bytes
  },

  /**
   * Encodes one record.
   * @throws Error when the document id is not 1 to 255 ASCII characters or the document is
   *   4 GiB or more
   */
  record(record: DocumentRecord): Uint8Array {
    const id = encoder.encode(record.documentId)
    if (id.length === 0 || id.length > 255 || !/^[\x20-\x7e]+$/.test(record.documentId)) {
      throw new Error(`documentStream.record: id ${JSON.stringify(record.documentId)} is not ASCII`)
    }
    if (record.document.byteLength > 0xffff_ffff) {
      throw new Error(`documentStream.record: document ${record.documentId} is over 4 GiB`)
    }
    const projection = record.projection ? encodeProjection(record.projection) : undefined
    const prefix = new Uint8Array(1 + id.length + 8 + 1 + (projection ? 4 : 0))
    const view = new DataView(prefix.buffer)
    let offset = 0
    view.setUint8(offset, id.length)
    prefix.set(id, (offset += 1))
    view.setBigUint64((offset += id.length), BigInt(record.seq))
    view.setUint8((offset += 8), projection ? projectionFlag : 0)
    offset += 1
    if (projection) view.setUint32(offset, projection.byteLength)
    const length = new Uint8Array(4)
    new DataView(length.buffer).setUint32(0, record.document.byteLength)
    return concatBytes(prefix, ...(projection ? [projection] : []), length, record.document)
  },

  /** The end marker. */
  end(): Uint8Array {
    return Uint8Array.of(0)
  },

  /** Encodes a whole stream at once (uploads, tests). */
  encode(records: readonly DocumentRecord[], seq = 0): Uint8Array<ArrayBuffer> {
    const bytes = records.reduce((sum, record) => sum + record.document.byteLength, 0)
    const tables: Record<string, number> = {}
    for (const { projection } of records) {
      if (projection) tables[projection.table] = (tables[projection.table] ?? 0) + 1
    }
    // concatBytes allocates a fresh ArrayBuffer, which fetch bodies need.
    return concatBytes(
      documentStream.header({ seq, count: records.length, bytes, tables }),
      ...records.map((record) => documentStream.record(record)),
      documentStream.end(),
    ) as Uint8Array<ArrayBuffer>
  },
}

/**
 * Reads a document stream as its bytes arrive, in chunks of any size. Untrusted input: every
 * length is checked before it is used; a stream that breaks the format throws
 * {@link DocumentStreamError} naming what was wrong.
 */
export class DocumentStreamReader {
  readonly #maxRecordBytes: number
  /** Bytes not parsed yet, as they arrived: joined only once the next item can be complete. */
  #pending: Uint8Array[] = []
  #pendingLength = 0
  /** How many bytes the next item needs, as far as is known. */
  #needed = 1
  #buffer: Uint8Array = new Uint8Array(0)
  #headerRead = false
  #records = 0
  #count = 0
  #ended = false

  /** @param maxRecordBytes - the largest record accepted; default 64 MiB */
  constructor(maxRecordBytes = 64 * 1024 * 1024) {
    this.#maxRecordBytes = maxRecordBytes
  }

  /** Whether the end marker was read. */
  get ended(): boolean {
    return this.#ended
  }

  /**
   * Takes the next bytes of the stream.
   * @returns the items completed by these bytes
   * @throws DocumentStreamError when the stream breaks the format
   */
  push(chunk: Uint8Array): DocumentStreamItem[] {
    if (this.#ended && chunk.byteLength > 0) {
      throw new DocumentStreamError('bytes after the end marker')
    }
    // Joining every chunk to the bytes before would copy a large record once per chunk.
    this.#pending.push(chunk)
    this.#pendingLength += chunk.byteLength
    if (this.#pendingLength < this.#needed) return []
    this.#buffer = this.#pending.length === 1 ? chunk : concatBytes(...this.#pending)
    const items: DocumentStreamItem[] = []
    let offset = 0
    for (;;) {
      const item = this.#next(offset)
      if ('needed' in item) {
        this.#needed = item.needed - offset
        break
      }
      items.push(item.item)
      offset = item.offset
      if (item.item.kind === 'end') {
        if (offset !== this.#buffer.byteLength) {
          throw new DocumentStreamError('bytes after the end marker')
        }
        break
      }
    }
    const rest = this.#buffer.subarray(offset)
    this.#pending = rest.byteLength > 0 ? [rest] : []
    this.#pendingLength = rest.byteLength
    return items
  }

  /**
   * Says the stream is over.
   * @throws DocumentStreamError when it was cut off before its end marker
   */
  finish(): void {
    if (!this.#ended) {
      throw new DocumentStreamError(
        `the stream was cut off after ${this.#records} of ${this.#count} records`,
      )
    }
  }

  /** The item at `start`, or how far the bytes must reach (`needed`) to hold it. */
  #next(start: number): { item: DocumentStreamItem; offset: number } | { needed: number } {
    const bytes = this.#buffer
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const available = bytes.byteLength - start
    if (!this.#headerRead) {
      if (available < headerLength) return { needed: start + headerLength }
      if (magic.some((byte, index) => bytes[start + index] !== byte)) {
        throw new DocumentStreamError('not a Rowsync document stream (bad magic)')
      }
      const streamVersion = view.getUint8(start + 4)
      if (streamVersion !== version) {
        throw new DocumentStreamError(`document stream version ${streamVersion} is not ${version}`)
      }
      const tablesLength = view.getUint32(start + 25)
      if (tablesLength > maxTablesLength) {
        throw new DocumentStreamError(`the header's table counts are ${tablesLength} bytes`)
      }
      if (available < headerLength + tablesLength) {
        return { needed: start + headerLength + tablesLength }
      }
      const tablesStart = start + headerLength
      const header = {
        seq: Number(view.getBigUint64(start + 5)),
        count: view.getUint32(start + 13),
        bytes: Number(view.getBigUint64(start + 17)),
        tables: decodeTables(bytes.subarray(tablesStart, tablesStart + tablesLength)),
      }
      this.#headerRead = true
      this.#count = header.count
      return { item: { kind: 'header', header }, offset: tablesStart + tablesLength }
    }
    if (available < 1) return { needed: start + 1 }
    const idLength = view.getUint8(start)
    if (idLength === 0) {
      if (this.#records !== this.#count) {
        throw new DocumentStreamError(`the stream ended after ${this.#records} of ${this.#count}`)
      }
      this.#ended = true
      return { item: { kind: 'end' }, offset: start + 1 }
    }
    if (this.#records === this.#count) {
      throw new DocumentStreamError(`the stream holds more than the ${this.#count} records`)
    }
    let offset = start + 1
    if (bytes.byteLength < offset + idLength + 9) return { needed: offset + idLength + 9 }
    const documentId = decoder.decode(bytes.subarray(offset, (offset += idLength)))
    const seq = Number(view.getBigUint64(offset))
    const flags = view.getUint8((offset += 8))
    offset += 1
    let projectionBytes: Uint8Array | undefined
    if (flags & projectionFlag) {
      if (bytes.byteLength < offset + 4) return { needed: offset + 4 }
      const length = view.getUint32(offset)
      this.#checkLength(documentId, length)
      if (bytes.byteLength < offset + 4 + length) return { needed: offset + 4 + length }
      projectionBytes = bytes.subarray(offset + 4, (offset += 4 + length))
    }
    if (bytes.byteLength < offset + 4) return { needed: offset + 4 }
    const length = view.getUint32(offset)
    this.#checkLength(documentId, length)
    if (bytes.byteLength < offset + 4 + length) return { needed: offset + 4 + length }
    // A copy: the record outlives the reader's buffer.
    const document = bytes.slice(offset + 4, (offset += 4 + length))
    this.#records += 1
    const projection = projectionBytes && decodeProjection(documentId, projectionBytes)
    return {
      item: {
        kind: 'record',
        record: projection
          ? { documentId, seq, projection, document }
          : { documentId, seq, document },
      },
      offset,
    }
  }

  #checkLength(documentId: string, length: number): void {
    if (length > this.#maxRecordBytes) {
      throw new DocumentStreamError(
        `the record of ${documentId} is ${length} bytes, over the limit of ${this.#maxRecordBytes}`,
      )
    }
  }
}

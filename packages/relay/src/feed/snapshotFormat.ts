/** The header of a snapshot stream. */
export interface SnapshotHeader {
  /** The feed's last sequence number when the snapshot started: continue with `since=seq`. */
  readonly seq: number
  /** How many document records follow. */
  readonly count: number
  /** The sum of the records' document lengths when the snapshot started, for progress. */
  readonly bytes: number
}

/** One document record of a snapshot stream. */
export interface SnapshotRecord {
  readonly documentId: string
  /** The sequence number of the row's feed entry. */
  readonly seq: number
  readonly deleted: boolean
  /** The document's stored chunks; the record holds them concatenated. */
  readonly chunks: readonly Uint8Array[]
}

const magic = Buffer.from('RSNP', 'ascii')
const version = 1
const headerLength = 25
const deletedFlag = 0x01

/**
 * The binary framing of `GET /v1/snapshot` (version 1). Integers are unsigned big-endian.
 *
 * ```
 * header   "RSNP" (4 bytes ASCII) | version u8 = 1 | seq u64 | count u32 | bytes u64
 * record   idLength u8 (1..255) | documentId (ASCII) | seq u64 | flags u8 (bit 0: deleted)
 *          | length u32 | document (length bytes)
 * end      u8 0   (an idLength of 0; a stream without it was cut off)
 * ```
 *
 * The header comes first; `count` records follow, then the end byte. A record's document is
 * the row document as the relay stores it (one or more Automerge chunks, concatenated), which
 * `Automerge.load` and automerge-repo's `import` take. `seq` in the header is the feed
 * position to continue from; `bytes` is the sum of the document lengths when the snapshot
 * started (exact unless rows change while it streams), for progress.
 */
export const snapshotFormat = {
  contentType: 'application/vnd.rowsync.snapshot',
  version,

  /**
   * Encodes the header.
   * @param header - see {@link SnapshotHeader}
   */
  header(header: SnapshotHeader): Buffer {
    const buffer = Buffer.alloc(headerLength)
    magic.copy(buffer, 0)
    buffer.writeUInt8(version, 4)
    buffer.writeBigUInt64BE(BigInt(header.seq), 5)
    buffer.writeUInt32BE(header.count, 13)
    buffer.writeBigUInt64BE(BigInt(header.bytes), 17)
    return buffer
  },

  /**
   * Encodes one record.
   * @param record - see {@link SnapshotRecord}
   * @throws Error when the document id is not 1 to 255 ASCII characters or the document is
   *   4 GiB or more (neither happens with automerge-repo ids and row documents)
   */
  record(record: SnapshotRecord): Buffer {
    const id = Buffer.from(record.documentId, 'ascii')
    if (id.length === 0 || id.length > 255 || id.toString('ascii') !== record.documentId) {
      throw new Error(`snapshotFormat.record: document id ${record.documentId} is not 1-255 ASCII`)
    }
    const length = record.chunks.reduce((sum, chunk) => sum + chunk.length, 0)
    if (length > 0xffff_ffff) {
      throw new Error(`snapshotFormat.record: document ${record.documentId} is over 4 GiB`)
    }
    const prefix = Buffer.alloc(1 + id.length + 8 + 1 + 4)
    let offset = prefix.writeUInt8(id.length, 0)
    offset += id.copy(prefix, offset)
    offset = prefix.writeBigUInt64BE(BigInt(record.seq), offset)
    offset = prefix.writeUInt8(record.deleted ? deletedFlag : 0, offset)
    prefix.writeUInt32BE(length, offset)
    return Buffer.concat([prefix, ...record.chunks], prefix.length + length)
  },

  /** The end marker. */
  end(): Buffer {
    return Buffer.of(0)
  },
}

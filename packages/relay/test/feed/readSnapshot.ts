import type { SnapshotHeader } from '../../src/feed/snapshotFormat.ts'

/** A snapshot record as read back. */
export interface ReadRecord {
  documentId: string
  seq: number
  deleted: boolean
  document: Uint8Array
}

/**
 * Parses a whole snapshot stream (the format of snapshotFormat), independently of the relay's
 * encoder, as a client would.
 * @throws Error when the bytes break the format (bad magic, a cut-off record, no end marker)
 */
export function readSnapshot(bytes: Uint8Array): {
  header: SnapshotHeader
  records: ReadRecord[]
  complete: boolean
} {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buffer.subarray(0, 4).toString('ascii') !== 'RSNP') throw new Error('bad magic')
  if (buffer.readUInt8(4) !== 1) throw new Error('unknown version')
  const header = {
    seq: Number(buffer.readBigUInt64BE(5)),
    count: buffer.readUInt32BE(13),
    bytes: Number(buffer.readBigUInt64BE(17)),
  }
  const records: ReadRecord[] = []
  let offset = 25
  while (offset < buffer.length) {
    const idLength = buffer.readUInt8(offset)
    offset += 1
    if (idLength === 0) {
      if (offset !== buffer.length) throw new Error('bytes after the end marker')
      return { header, records, complete: true }
    }
    const documentId = buffer.subarray(offset, offset + idLength).toString('ascii')
    offset += idLength
    const seq = Number(buffer.readBigUInt64BE(offset))
    const flags = buffer.readUInt8(offset + 8)
    const length = buffer.readUInt32BE(offset + 9)
    offset += 13
    if (offset + length > buffer.length) throw new Error('cut-off record')
    records.push({
      documentId,
      seq,
      deleted: (flags & 1) === 1,
      document: Uint8Array.from(buffer.subarray(offset, offset + length)),
    })
    offset += length
  }
  return { header, records, complete: false }
}

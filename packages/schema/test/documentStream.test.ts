import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  documentStream,
  DocumentStreamError,
  DocumentStreamReader,
  type DocumentRecord,
  type DocumentStreamItem,
  type RowProjection,
} from '../src/index.ts'

const projection: RowProjection = {
  documentId: 'doc-1',
  table: 'workOrders',
  id: 'wo-1',
  deleted: false,
  values: { title: 'Pump', priority: 2, billable: null },
  flagged: ['status'],
  deleteConflict: false,
  heads: ['ab'.repeat(32)],
}

function readAll(bytes: Uint8Array, splits: readonly number[] = []): DocumentStreamItem[] {
  const reader = new DocumentStreamReader()
  const items: DocumentStreamItem[] = []
  let start = 0
  for (const split of [...splits].sort((a, b) => a - b)) {
    items.push(...reader.push(bytes.subarray(start, split)))
    start = split
  }
  items.push(...reader.push(bytes.subarray(start)))
  reader.finish()
  return items
}

const recordArbitrary: fc.Arbitrary<DocumentRecord> = fc
  .record({
    documentId: fc.stringMatching(/^[1-9A-HJ-NP-Za-km-z]{1,60}$/),
    seq: fc.nat(),
    document: fc.uint8Array({ maxLength: 300 }),
    projection: fc.option(fc.constant(projection), { nil: undefined }),
  })
  .map(({ projection: given, ...rest }) =>
    given ? { ...rest, projection: { ...given, documentId: rest.documentId } } : rest,
  )

describe('documentStream', () => {
  it('reads back what it wrote, however the bytes are split', () => {
    fc.assert(
      fc.property(
        fc.array(recordArbitrary, { maxLength: 8 }),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 6 }),
        (records, seq, cuts) => {
          const bytes = documentStream.encode(records, seq)
          const items = readAll(
            bytes,
            cuts.map((cut) => cut % (bytes.length + 1)),
          )
          expect(items[0]).toEqual({
            kind: 'header',
            header: {
              seq,
              count: records.length,
              bytes: records.reduce((sum, record) => sum + record.document.length, 0),
              tables: records.some((record) => record.projection)
                ? { workOrders: records.filter((record) => record.projection).length }
                : {},
            },
          })
          expect(items.slice(1, -1)).toEqual(records.map((record) => ({ kind: 'record', record })))
          expect(items.at(-1)).toEqual({ kind: 'end' })
        },
      ),
    )
  })

  it('names what is wrong with bytes that break the format', () => {
    const good = documentStream.encode([
      { documentId: 'doc-1', seq: 1, document: Uint8Array.of(1) },
    ])
    const cases: Array<[Uint8Array, RegExp]> = [
      [Uint8Array.from([0x58, ...good.subarray(1)]), /bad magic/],
      [Uint8Array.from([...good.subarray(0, 4), 9, ...good.subarray(5)]), /version 9/],
      [good.subarray(0, good.length - 1), /cut off after 1 of 1/],
      [Uint8Array.from([...good, 0]), /after the end marker/],
    ]
    for (const [bytes, message] of cases) {
      expect(() => readAll(bytes)).toThrow(message)
      expect(() => readAll(bytes)).toThrow(DocumentStreamError)
    }
  })

  it('refuses records over the size limit and projections that are not row projections', () => {
    const big = documentStream.encode([
      { documentId: 'doc-1', seq: 1, document: new Uint8Array(2000) },
    ])
    expect(() => new DocumentStreamReader(1000).push(big)).toThrow(
      /2000 bytes, over the limit of 1000/,
    )

    const withProjection = documentStream.encode([
      { documentId: 'doc-1', seq: 1, projection, document: Uint8Array.of(1) },
    ])
    // Same length, so only the projection's content is wrong.
    const needle = new TextEncoder().encode('"deleted":false')
    const at = withProjection.findIndex((_, index) =>
      needle.every((byte, offset) => withProjection[index + offset] === byte),
    )
    const broken = Uint8Array.from(withProjection)
    broken.set(new TextEncoder().encode('"deleted":"no!"'), at)
    expect(() => readAll(broken)).toThrow(/projection of doc-1 is not a row projection/)
  })

  it('refuses a stream with more records than its header says', () => {
    const one = documentStream.encode([{ documentId: 'a', seq: 1, document: Uint8Array.of(1) }])
    const record = documentStream.record({ documentId: 'b', seq: 2, document: Uint8Array.of(2) })
    const extra = Uint8Array.from([...one.subarray(0, one.length - 1), ...record, 0])
    expect(() => readAll(extra)).toThrow(/more than the 1 records/)
  })
})

import { isValidDocumentId } from '@automerge/automerge-repo/slim'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isRowId, rowDocumentId, toRowId } from '@rowsync/schema'

const rowIdCharacters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-'
const rowIds = fc
  .string({ unit: fc.constantFrom(...rowIdCharacters), minLength: 1, maxLength: 128 })
  .map(toRowId)
const names = fc.string({ minLength: 1, maxLength: 20 })

describe('rowDocumentId', () => {
  it('gives the same id for the same database, table and row', () => {
    expect(rowDocumentId('db', 'workOrders', toRowId('wo-1'))).toBe(
      rowDocumentId('db', 'workOrders', toRowId('wo-1')),
    )
  })

  it('differs across databases', () => {
    expect(rowDocumentId('db-a', 'workOrders', toRowId('wo-1'))).not.toBe(
      rowDocumentId('db-b', 'workOrders', toRowId('wo-1')),
    )
  })

  it('differs across tables', () => {
    expect(rowDocumentId('db', 'workOrders', toRowId('wo-1'))).not.toBe(
      rowDocumentId('db', 'customers', toRowId('wo-1')),
    )
  })

  it('differs across rows', () => {
    expect(rowDocumentId('db', 'workOrders', toRowId('wo-1'))).not.toBe(
      rowDocumentId('db', 'workOrders', toRowId('wo-2')),
    )
  })

  it('does not let a name run into the next one', () => {
    expect(rowDocumentId('db', 'ab', toRowId('c'))).not.toBe(
      rowDocumentId('db', 'a', toRowId('bc')),
    )
  })

  it('is a valid automerge-repo document id', () => {
    fc.assert(
      fc.property(names, names, rowIds, (database, table, rowId) => {
        expect(isValidDocumentId(rowDocumentId(database, table, rowId))).toBe(true)
      }),
    )
  })

  it('gives distinct rows distinct ids', () => {
    fc.assert(
      fc.property(
        fc.tuple(names, names, rowIds),
        fc.tuple(names, names, rowIds),
        (first, second) => {
          fc.pre(first.join('\u0000') !== second.join('\u0000'))
          expect(rowDocumentId(...first)).not.toBe(rowDocumentId(...second))
        },
      ),
    )
  })
})

describe('toRowId', () => {
  it.each(['wo-1', 'a', 'A.b_c:d-9', '0', 'a'.repeat(128)])('accepts %j', (value) => {
    expect(toRowId(value)).toBe(value)
  })

  it.each(['', 'a'.repeat(129), 'has space', 'a/b', 'é', 'wo\u00001', '\n'])(
    'throws a TypeError for %j',
    (value) => {
      expect(() => toRowId(value)).toThrow(TypeError)
    },
  )

  it.each([[null], [undefined], [42], [{}], [['wo-1']]])(
    'throws a TypeError for the non-string %j',
    (value) => {
      expect(() => toRowId(value)).toThrow(TypeError)
    },
  )

  it('agrees with isRowId on any string', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        let valid: boolean
        try {
          toRowId(value)
          valid = true
        } catch (error) {
          expect(error).toBeInstanceOf(TypeError)
          valid = false
        }
        expect(isRowId(value)).toBe(valid)
      }),
    )
  })
})

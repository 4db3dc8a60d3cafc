import fc from 'fast-check'
import { expect, it } from 'vitest'
import { selectFirst } from '../../src/query/selectFirst.ts'

it('returns the same page as sorting everything', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }),
      fc.integer({ min: 0, max: 40 }),
      (items, count) => {
        const byValue = (a: number, b: number) => a - b
        expect(selectFirst(items, count, byValue)).toEqual([...items].sort(byValue).slice(0, count))
      },
    ),
  )
})

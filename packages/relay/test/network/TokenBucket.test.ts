import { describe, expect, it } from 'vitest'
import { TokenBucket } from '../../src/sync/network/TokenBucket.ts'

function setup(ratePerSecond: number) {
  const clock = { now: 0 }
  return { clock, bucket: new TokenBucket(ratePerSecond, () => clock.now) }
}

describe('TokenBucket', () => {
  it('admits one second of tokens at once, then refuses', () => {
    const { bucket } = setup(10)
    for (let index = 0; index < 10; index++) expect(bucket.take(1)).toBe(true)
    expect(bucket.take(1)).toBe(false)
  })

  it('refills at the rate', () => {
    const { clock, bucket } = setup(10)
    for (let index = 0; index < 10; index++) bucket.take(1)
    clock.now += 100
    expect(bucket.take(1)).toBe(true)
    expect(bucket.take(1)).toBe(false)
  })

  it('never holds more than one second of tokens', () => {
    const { clock, bucket } = setup(10)
    clock.now += 60_000
    for (let index = 0; index < 10; index++) expect(bucket.take(1)).toBe(true)
    expect(bucket.take(1)).toBe(false)
  })

  it('admits a cost above the capacity when full and leaves the bucket in debt', () => {
    const { clock, bucket } = setup(100)
    expect(bucket.take(250)).toBe(true)
    clock.now += 1_000
    expect(bucket.take(1)).toBe(false)
    clock.now += 1_600
    expect(bucket.take(1)).toBe(true)
  })

  it('refuses a rate that is not positive', () => {
    expect(() => new TokenBucket(0, () => 0)).toThrow(/TokenBucket/)
  })
})

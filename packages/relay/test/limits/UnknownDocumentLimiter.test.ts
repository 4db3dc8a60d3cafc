import { describe, expect, it } from 'vitest'
import { UnknownDocumentLimiter } from '../../src/sync/UnknownDocumentLimiter.ts'

const minute = 60_000

function setup(perWindow = 3) {
  return new UnknownDocumentLimiter({ perWindow })
}

describe('UnknownDocumentLimiter', () => {
  it('allows a peer perWindow unknown ids, then refuses', () => {
    const limiter = setup(3)
    const answers = ['a', 'b', 'c', 'd'].map((id) => limiter.allow('peer-1', id, 0))
    expect(answers).toStrictEqual([true, true, true, false])
  })

  it('counts an id once per window, so one handshake costs one', () => {
    const limiter = setup(2)
    for (let message = 0; message < 5; message++) {
      expect(limiter.allow('peer-1', 'a', message)).toBe(true)
    }
    expect(limiter.allow('peer-1', 'b', 5)).toBe(true)
    expect(limiter.allow('peer-1', 'c', 6)).toBe(false)
  })

  it('slides the window: an id allowed a window ago no longer counts', () => {
    const limiter = setup(2)
    limiter.allow('peer-1', 'a', 0)
    limiter.allow('peer-1', 'b', 30_000)
    expect(limiter.allow('peer-1', 'c', minute - 1)).toBe(false)
    expect(limiter.allow('peer-1', 'c', minute)).toBe(true)
    expect(limiter.allow('peer-1', 'd', minute + 1)).toBe(false)
    expect(limiter.allow('peer-1', 'd', 30_000 + minute)).toBe(true)
  })

  it('keeps peers apart', () => {
    const limiter = setup(1)
    expect(limiter.allow('peer-1', 'a', 0)).toBe(true)
    expect(limiter.allow('peer-2', 'b', 0)).toBe(true)
    expect(limiter.allow('peer-1', 'c', 0)).toBe(false)
  })

  it('gives a forgotten peer a fresh window', () => {
    const limiter = setup(1)
    limiter.allow('peer-1', 'a', 0)
    expect(limiter.allow('peer-1', 'b', 0)).toBe(false)
    limiter.forget('peer-1')
    expect(limiter.allow('peer-1', 'b', 0)).toBe(true)
  })

  it('refuses every unknown id when perWindow is 0', () => {
    expect(setup(0).allow('peer-1', 'a', 0)).toBe(false)
  })

  it('rejects a negative bound or an empty window', () => {
    expect(() => new UnknownDocumentLimiter({ perWindow: -1 })).toThrow(/perWindow/)
    expect(() => new UnknownDocumentLimiter({ perWindow: 1, windowMs: 0 })).toThrow(/windowMs/)
  })
})

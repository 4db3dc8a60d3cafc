import { describe, expect, it } from 'vitest'
import { selectSubprotocol } from '../../src/auth/selectSubprotocol.ts'

describe('selectSubprotocol', () => {
  it('selects rowsync and never the token entry', () => {
    expect(selectSubprotocol(new Set(['rowsync.token.abc', 'rowsync']))).toBe('rowsync')
  })

  it('selects nothing when rowsync is not offered', () => {
    expect(selectSubprotocol(new Set(['rowsync.token.abc']))).toBe(false)
  })
})

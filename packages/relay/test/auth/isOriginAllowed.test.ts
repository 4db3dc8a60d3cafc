import { describe, expect, it } from 'vitest'
import { isOriginAllowed } from '../../src/auth/isOriginAllowed.ts'

describe('isOriginAllowed', () => {
  const allowlist = ['https://app.example.com', 'http://localhost:5173']

  it('allows a listed origin', () => {
    expect(isOriginAllowed('https://app.example.com', allowlist)).toBe(true)
  })

  it('allows a request without an Origin (not a browser)', () => {
    expect(isOriginAllowed(undefined, allowlist)).toBe(true)
  })

  it.each([
    'https://evil.example.com',
    'http://app.example.com',
    'https://app.example.com:8443',
    'https://app.example.com.evil.example',
    'null',
    '',
  ])('refuses %j', (origin) => {
    expect(isOriginAllowed(origin, allowlist)).toBe(false)
  })

  it('allows every origin with *', () => {
    expect(isOriginAllowed('https://anywhere.example', ['*'])).toBe(true)
  })

  it('refuses every browser origin with an empty allowlist', () => {
    expect(isOriginAllowed('http://localhost:5173', [])).toBe(false)
  })
})

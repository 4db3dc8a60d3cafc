import type { IncomingHttpHeaders } from 'node:http'
import { describe, expect, it } from 'vitest'
import { tokenFromRequest } from '../../src/auth/tokenFromRequest.ts'

/** The parts of an IncomingMessage that tokenFromRequest reads. */
function request(url: string, headers: IncomingHttpHeaders = {}) {
  return { url, headers }
}

describe('tokenFromRequest', () => {
  it('reads a Bearer Authorization header', () => {
    expect(tokenFromRequest(request('/v1/me', { authorization: 'Bearer abc.def.ghi' }))).toBe(
      'abc.def.ghi',
    )
  })

  it('reads the Bearer scheme in any case', () => {
    expect(tokenFromRequest(request('/', { authorization: 'bearer abc' }))).toBe('abc')
  })

  it('reads the token query parameter', () => {
    expect(tokenFromRequest(request('/sync?room=1&token=abc.def.ghi'))).toBe('abc.def.ghi')
  })

  it('reads a rowsync.token subprotocol entry', () => {
    const headers = { 'sec-websocket-protocol': 'rowsync, rowsync.token.abc.def.ghi' }
    expect(tokenFromRequest(request('/sync', headers))).toBe('abc.def.ghi')
  })

  it('prefers the Authorization header over the query and the subprotocol', () => {
    const headers = {
      authorization: 'Bearer from-header',
      'sec-websocket-protocol': 'rowsync, rowsync.token.from-protocol',
    }
    expect(tokenFromRequest(request('/sync?token=from-query', headers))).toBe('from-header')
  })

  it('prefers the query over the subprotocol', () => {
    const headers = { 'sec-websocket-protocol': 'rowsync, rowsync.token.from-protocol' }
    expect(tokenFromRequest(request('/sync?token=from-query', headers))).toBe('from-query')
  })

  it('falls back to the query when Authorization is not a Bearer token', () => {
    const headers = { authorization: 'Basic dXNlcjpwYXNz' }
    expect(tokenFromRequest(request('/sync?token=from-query', headers))).toBe('from-query')
  })

  it.each([
    ['no token anywhere', request('/v1/me')],
    ['an empty Bearer header', request('/', { authorization: 'Bearer ' })],
    ['a Bearer header with two words', request('/', { authorization: 'Bearer a b' })],
    ['an empty query parameter', request('/sync?token=')],
    ['only the plain subprotocol', request('/', { 'sec-websocket-protocol': 'rowsync' })],
    ['an empty subprotocol token', request('/', { 'sec-websocket-protocol': 'rowsync.token.' })],
    ['a malformed URL', request('http://[::1/?token=abc')],
    ['no URL', { headers: {} }],
  ])('finds nothing with %s', (_name, source) => {
    expect(tokenFromRequest(source as Parameters<typeof tokenFromRequest>[0])).toBeUndefined()
  })

  it('decodes a percent-encoded query token', () => {
    expect(tokenFromRequest(request('/sync?token=a%2Eb'))).toBe('a.b')
  })
})

import { decodeJwt, decodeProtectedHeader } from 'jose'
import { describe, expect, it } from 'vitest'
import { mintDemoToken } from '../../src/auth/mintDemoToken.ts'

const secret = 'a-test-secret-of-at-least-32-bytes!!'

describe('mintDemoToken', () => {
  it('signs HS256 with sub, roles and an expiry ttlSeconds ahead', async () => {
    const token = await mintDemoToken(secret, { id: 'ada', roles: ['technician'] }, 60)
    const claims = decodeJwt(token)
    expect(decodeProtectedHeader(token).alg).toBe('HS256')
    expect(claims).toMatchObject({ sub: 'ada', roles: ['technician'] })
    expect(claims.exp! - claims.iat!).toBe(60)
  })

  it('defaults to one hour', async () => {
    const claims = decodeJwt(await mintDemoToken(secret, { id: 'ada', roles: [] }))
    expect(claims.exp! - claims.iat!).toBe(3600)
  })

  it.each([0, -1, 1.5, Number.NaN])('throws on ttlSeconds %s', async (ttl) => {
    await expect(mintDemoToken(secret, { id: 'ada', roles: [] }, ttl)).rejects.toThrow(Error)
  })

  it('throws on an empty secret', async () => {
    await expect(mintDemoToken('', { id: 'ada', roles: [] })).rejects.toThrow(Error)
  })
})

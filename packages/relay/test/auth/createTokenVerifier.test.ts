import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose'
import type { JWK, JWTPayload } from 'jose'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { createTokenVerifier } from '../../src/auth/createTokenVerifier.ts'
import { mintDemoToken } from '../../src/auth/mintDemoToken.ts'
import { serveJwks } from './serveJwks.ts'
import type { JwksServer } from './serveJwks.ts'

const secret = 'a-test-secret-of-at-least-32-bytes!!'

function hmacKey(value = secret): Uint8Array {
  return new TextEncoder().encode(value)
}

/** A token with `claims`, signed HS256 with the test secret, valid for an hour. */
async function hs256(claims: JWTPayload, key = hmacKey()): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(key)
}

function setup() {
  return { verifier: createTokenVerifier({ secret }) }
}

describe('createTokenVerifier with an HS256 secret', () => {
  it('accepts a token with sub and roles', async () => {
    const { verifier } = setup()
    const token = await hs256({ sub: 'ada', roles: ['technician', 'dispatcher'] })
    expect(await verifier.verify(token)).toEqual({
      ok: true,
      user: { id: 'ada', roles: ['technician', 'dispatcher'] },
    })
  })

  it('gives a token without roles no roles', async () => {
    const { verifier } = setup()
    expect(await verifier.verify(await hs256({ sub: 'ada' }))).toEqual({
      ok: true,
      user: { id: 'ada', roles: [] },
    })
  })

  it.each([
    ['a string', 'admin'],
    ['an array with a number', ['reader', 7]],
    ['null', null],
    ['an object', { admin: true }],
  ])('refuses roles that are %s', async (_name, roles) => {
    const { verifier } = setup()
    const token = await hs256({ sub: 'ada', roles })
    expect(await verifier.verify(token)).toEqual({ ok: false, reason: 'invalid' })
  })

  it.each([
    ['missing', {}],
    ['empty', { sub: '' }],
  ])('refuses a token whose sub is %s', async (_name, claims) => {
    const { verifier } = setup()
    expect(await verifier.verify(await hs256(claims))).toEqual({ ok: false, reason: 'invalid' })
  })

  it('reports an expired token as expired', async () => {
    const { verifier } = setup()
    const now = Math.floor(Date.now() / 1000)
    const token = await new SignJWT({ sub: 'ada' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(hmacKey())
    expect(await verifier.verify(token)).toEqual({ ok: false, reason: 'expired' })
  })

  it('reports an expired token with a forged signature as invalid, not expired', async () => {
    const { verifier } = setup()
    const now = Math.floor(Date.now() / 1000)
    const token = await new SignJWT({ sub: 'ada' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(now - 3600)
      .sign(hmacKey('another-secret-of-at-least-32-bytes!!'))
    expect(await verifier.verify(token)).toEqual({ ok: false, reason: 'invalid' })
  })

  it('refuses a token signed with another secret', async () => {
    const { verifier } = setup()
    const token = await hs256({ sub: 'ada' }, hmacKey('another-secret-of-at-least-32-bytes!!'))
    expect(await verifier.verify(token)).toEqual({ ok: false, reason: 'invalid' })
  })

  it('refuses a token whose payload was changed after signing', async () => {
    const { verifier } = setup()
    const [header, , signature] = (await hs256({ sub: 'ada', roles: ['reader'] })).split('.')
    const payload = Buffer.from(JSON.stringify({ sub: 'ada', roles: ['admin'] })).toString(
      'base64url',
    )
    const token = `${header}.${payload}.${signature}`
    expect(await verifier.verify(token)).toEqual({ ok: false, reason: 'invalid' })
  })

  it('refuses an unsigned token (alg none)', async () => {
    const { verifier } = setup()
    const token = new UnsecuredJWT({ sub: 'ada', roles: ['admin'] })
      .setExpirationTime('1h')
      .encode()
    expect(await verifier.verify(token)).toEqual({ ok: false, reason: 'invalid' })
  })

  it('refuses HS512 even with the right secret', async () => {
    const { verifier } = setup()
    const token = await new SignJWT({ sub: 'ada' })
      .setProtectedHeader({ alg: 'HS512' })
      .setExpirationTime('1h')
      .sign(hmacKey())
    expect(await verifier.verify(token)).toEqual({ ok: false, reason: 'invalid' })
  })

  it('refuses an ES256 token when only a secret is configured', async () => {
    const { verifier } = setup()
    const { privateKey } = await generateKeyPair('ES256')
    const token = await new SignJWT({ sub: 'ada' })
      .setProtectedHeader({ alg: 'ES256' })
      .setExpirationTime('1h')
      .sign(privateKey)
    expect(await verifier.verify(token)).toEqual({ ok: false, reason: 'invalid' })
  })

  it('reports an empty token as missing', async () => {
    const { verifier } = setup()
    expect(await verifier.verify('')).toEqual({ ok: false, reason: 'missing' })
  })

  it.each(['garbage', 'a.b.c', '...', 'ey.ey.ey', '\u0000\uffff', 'x'.repeat(100_000)])(
    'refuses the malformed token %#',
    async (token) => {
      const { verifier } = setup()
      expect(await verifier.verify(token)).toEqual({ ok: false, reason: 'invalid' })
    },
  )

  it('reports a non-string token from untyped callers as missing', async () => {
    const { verifier } = setup()
    expect(await verifier.verify(undefined as unknown as string)).toEqual({
      ok: false,
      reason: 'missing',
    })
  })

  it('refuses a token that is not valid yet', async () => {
    const { verifier } = setup()
    const token = await new SignJWT({ sub: 'ada' })
      .setProtectedHeader({ alg: 'HS256' })
      .setNotBefore('1h')
      .setExpirationTime('2h')
      .sign(hmacKey())
    expect(await verifier.verify(token)).toEqual({ ok: false, reason: 'invalid' })
  })

  it('accepts a token minted by mintDemoToken', async () => {
    const { verifier } = setup()
    const token = await mintDemoToken(secret, { id: 'grace', roles: ['dispatcher'] })
    expect(await verifier.verify(token)).toEqual({
      ok: true,
      user: { id: 'grace', roles: ['dispatcher'] },
    })
  })
})

describe('createTokenVerifier issuer and audience', () => {
  const verifier = () =>
    createTokenVerifier({ secret, issuer: 'https://id.example', audience: 'rowsync' })

  it('accepts a token with the configured issuer and audience', async () => {
    const token = await hs256({ sub: 'ada', iss: 'https://id.example', aud: ['rowsync', 'other'] })
    expect(await verifier().verify(token)).toMatchObject({ ok: true })
  })

  it.each([
    ['another issuer', { iss: 'https://evil.example', aud: 'rowsync' }],
    ['no issuer', { aud: 'rowsync' }],
    ['another audience', { iss: 'https://id.example', aud: 'billing' }],
    ['no audience', { iss: 'https://id.example' }],
  ])('refuses a token with %s', async (_name, claims) => {
    const token = await hs256({ sub: 'ada', ...claims })
    expect(await verifier().verify(token)).toEqual({ ok: false, reason: 'invalid' })
  })
})

describe('createTokenVerifier configuration', () => {
  it('throws without a secret or a key set URL', () => {
    expect(() => createTokenVerifier({})).toThrow(Error)
  })

  it('throws on an empty secret', () => {
    expect(() => createTokenVerifier({ secret: '' })).toThrow(Error)
  })

  it('throws on a relative key set URL', () => {
    expect(() => createTokenVerifier({ jwksUrl: '/jwks.json' })).toThrow(Error)
  })
})

describe('createTokenVerifier with a JSON Web Key Set', () => {
  let jwks: JwksServer | undefined
  afterEach(async () => {
    await jwks?.close()
    jwks = undefined
  })

  async function es256Setup(options: { secret?: string } = {}) {
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'ES256' }
    jwks = await serveJwks([publicJwk])
    const verifier = createTokenVerifier({ jwksUrl: jwks.url, ...options })
    const sign = (claims: JWTPayload, kid = 'key-1') =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid })
        .setExpirationTime('1h')
        .sign(privateKey)
    return { verifier, sign, publicJwk, server: jwks }
  }

  it('accepts an ES256 token signed with a published key', async () => {
    const { verifier, sign } = await es256Setup()
    expect(await verifier.verify(await sign({ sub: 'ada', roles: ['technician'] }))).toEqual({
      ok: true,
      user: { id: 'ada', roles: ['technician'] },
    })
  })

  it('fetches the key set once for many tokens', async () => {
    const { verifier, sign, server } = await es256Setup()
    for (const sub of ['ada', 'grace', 'linus']) {
      expect(await verifier.verify(await sign({ sub }))).toMatchObject({ ok: true })
    }
    expect(server.fetches()).toBe(1)
  })

  it('accepts an RS256 token signed with a published key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256')
    jwks = await serveJwks([{ ...(await exportJWK(publicKey)), kid: 'rsa-1', alg: 'RS256' }])
    const verifier = createTokenVerifier({ jwksUrl: jwks.url })
    const token = await new SignJWT({ sub: 'ada' })
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .setExpirationTime('1h')
      .sign(privateKey)
    expect(await verifier.verify(token)).toEqual({ ok: true, user: { id: 'ada', roles: [] } })
  })

  it('refuses a token signed with a key the set does not publish', async () => {
    const { verifier } = await es256Setup()
    const { privateKey: otherKey } = await generateKeyPair('ES256')
    const token = await new SignJWT({ sub: 'ada' })
      .setProtectedHeader({ alg: 'ES256', kid: 'key-1' })
      .setExpirationTime('1h')
      .sign(otherKey)
    expect(await verifier.verify(token)).toEqual({ ok: false, reason: 'invalid' })
  })

  it('refuses a token naming an unknown key id', async () => {
    const { verifier, sign } = await es256Setup()
    expect(await verifier.verify(await sign({ sub: 'ada' }, 'key-2'))).toEqual({
      ok: false,
      reason: 'invalid',
    })
  })

  it('refuses an HS256 token when only a key set is configured', async () => {
    const { verifier } = await es256Setup()
    expect(await verifier.verify(await hs256({ sub: 'ada' }))).toEqual({
      ok: false,
      reason: 'invalid',
    })
  })

  it('refuses an HS256 token keyed with the public key (algorithm confusion)', async () => {
    const { verifier, publicJwk } = await es256Setup({ secret })
    const token = await hs256({ sub: 'ada' }, hmacKey(JSON.stringify(publicJwk)))
    expect(await verifier.verify(token)).toEqual({ ok: false, reason: 'invalid' })
  })

  it('accepts both HS256 and ES256 tokens when both are configured', async () => {
    const { verifier, sign } = await es256Setup({ secret })
    expect(await verifier.verify(await sign({ sub: 'ada' }))).toMatchObject({ ok: true })
    expect(await verifier.verify(await hs256({ sub: 'grace' }))).toMatchObject({ ok: true })
  })

  it('refuses tokens and warns when the key set cannot be fetched', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    jwks = await serveJwks([await exportJWK(publicKey)], 500)
    const lines: string[] = []
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) })
    const verifier = createTokenVerifier({ jwksUrl: jwks.url, logger })
    const token = await new SignJWT({ sub: 'ada' })
      .setProtectedHeader({ alg: 'ES256' })
      .setExpirationTime('1h')
      .sign(privateKey)
    expect(await verifier.verify(token)).toEqual({ ok: false, reason: 'invalid' })
    expect(lines.join('')).toContain('could not load the JSON Web Key Set')
    expect(lines.join('')).not.toContain(token)
  })

  it('does not warn about an unknown key id', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    jwks = await serveJwks([{ ...(await exportJWK(publicKey)), kid: 'key-1' }])
    const lines: string[] = []
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) })
    const verifier = createTokenVerifier({ jwksUrl: jwks.url, logger })
    const token = await new SignJWT({ sub: 'ada' })
      .setProtectedHeader({ alg: 'ES256', kid: 'key-9' })
      .setExpirationTime('1h')
      .sign(privateKey)
    expect(await verifier.verify(token)).toEqual({ ok: false, reason: 'invalid' })
    expect(lines).toEqual([])
  })
})

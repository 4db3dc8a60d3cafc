import { createRemoteJWKSet, errors, jwtVerify } from 'jose'
import type { JWTPayload, JWTVerifyGetKey, JWTVerifyOptions } from 'jose'
import type { Logger } from 'pino'
import type { AuthResult } from './AuthResult.ts'

/** How {@link createTokenVerifier} checks tokens. */
export interface TokenVerifierOptions {
  /** Shared secret for HS256 tokens (demo mode, or a backend that signs its own tokens). */
  secret?: string | undefined
  /** URL of a JSON Web Key Set; enables RS256 and ES256 tokens signed by an identity provider. */
  jwksUrl?: string | undefined
  /** When set, the token's `iss` must equal it. */
  issuer?: string | undefined
  /** When set, the token's `aud` must contain it. */
  audience?: string | undefined
  /** Receives a warning when the key set cannot be fetched; nothing is logged without it. */
  logger?: Logger | undefined
}

/** Checks bearer tokens; see {@link createTokenVerifier}. */
export interface TokenVerifier {
  /**
   * Verifies one token.
   * @param token - the compact JWT, as sent by the client
   * @returns the user, or why the token was refused; never rejects
   */
  verify(token: string): Promise<AuthResult>
}

const symmetricAlgorithms = ['HS256']
const asymmetricAlgorithms = ['RS256', 'ES256']

/**
 * Creates a verifier for signed JWTs: HS256 with `secret`, RS256 and ES256 with keys from
 * `jwksUrl` (fetched on first use, cached and refetched by jose when a new key id appears);
 * both at once are allowed. The token must carry `sub` (a non-empty string, the user id)
 * and may carry `roles` (an array of strings, `[]` when absent); `exp` and `nbf` are
 * checked when present. Tokens without `exp` never expire, so issuers should always set it.
 * @param options - see {@link TokenVerifierOptions}
 * @throws {Error} when neither `secret` nor `jwksUrl` is set, the secret is empty, or
 *   `jwksUrl` is not an absolute URL (configuration bugs, not bad tokens)
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const { secret, jwksUrl, issuer, audience, logger } = options
  if (secret === undefined && jwksUrl === undefined) {
    throw new Error('createTokenVerifier: set a secret (HS256) or a jwksUrl (RS256/ES256)')
  }
  if (secret === '') {
    throw new Error('createTokenVerifier: the HS256 secret is empty')
  }
  const secretKey = secret === undefined ? undefined : new TextEncoder().encode(secret)
  const keySet = jwksUrl === undefined ? undefined : createRemoteJWKSet(parseJwksUrl(jwksUrl))

  // jose checks `algorithms` before it asks for a key, so a token cannot choose an algorithm
  // the relay was not configured for (for example HS256 keyed with a published public key).
  const verifyOptions: JWTVerifyOptions = {
    algorithms: [
      ...(secretKey === undefined ? [] : symmetricAlgorithms),
      ...(keySet === undefined ? [] : asymmetricAlgorithms),
    ],
  }
  if (issuer !== undefined) verifyOptions.issuer = issuer
  if (audience !== undefined) verifyOptions.audience = audience

  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (header.alg !== undefined && symmetricAlgorithms.includes(header.alg)) {
      if (secretKey === undefined) throw new errors.JOSEAlgNotAllowed('no HS256 secret')
      return secretKey
    }
    if (keySet === undefined) throw new errors.JOSEAlgNotAllowed('no key set')
    try {
      return await keySet(header, token)
    } catch (error) {
      // An unknown key id is the token's fault; an unreachable key set is the operator's.
      if (!(error instanceof errors.JWKSNoMatchingKey)) {
        logger?.warn(
          { jwksUrl, error: describeError(error) },
          'could not load the JSON Web Key Set',
        )
      }
      throw error
    }
  }

  return {
    async verify(token: string): Promise<AuthResult> {
      if (typeof token !== 'string' || token === '') return { ok: false, reason: 'missing' }
      let payload: JWTPayload
      try {
        payload = (await jwtVerify(token, getKey, verifyOptions)).payload
      } catch (error) {
        // jose checks the signature before the claims, so "expired" implies a genuine token.
        return { ok: false, reason: error instanceof errors.JWTExpired ? 'expired' : 'invalid' }
      }
      const { sub, roles } = payload
      if (typeof sub !== 'string' || sub === '') return { ok: false, reason: 'invalid' }
      if (roles === undefined) return { ok: true, user: { id: sub, roles: [] } }
      if (!isStringArray(roles)) return { ok: false, reason: 'invalid' }
      return { ok: true, user: { id: sub, roles: [...roles] } }
    },
  }
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}

function parseJwksUrl(jwksUrl: string): URL {
  try {
    return new URL(jwksUrl)
  } catch (cause) {
    throw new Error(`createTokenVerifier: jwksUrl "${jwksUrl}" is not an absolute URL`, { cause })
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

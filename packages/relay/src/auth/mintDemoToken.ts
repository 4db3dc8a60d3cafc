import { SignJWT } from 'jose'
import type { AuthUser } from './AuthResult.ts'

/**
 * Signs an HS256 token for a demo user, for the relay's demo mode only: anyone who can
 * reach the demo endpoint can become any demo user. The token carries `sub`, `roles`, `iat`
 * and `exp`, but no `iss` or `aud`, so a verifier that requires either refuses it.
 * @param secret - the HS256 secret the relay's verifier uses
 * @param user - the user the token speaks for
 * @param ttlSeconds - lifetime in seconds; defaults to 3600
 * @returns the compact JWT
 * @throws {Error} when the secret is empty or `ttlSeconds` is not a positive integer
 */
export async function mintDemoToken(
  secret: string,
  user: AuthUser,
  ttlSeconds = 3600,
): Promise<string> {
  if (secret === '') throw new Error('mintDemoToken: the HS256 secret is empty')
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new Error(`mintDemoToken: ttlSeconds must be a positive integer, got ${ttlSeconds}`)
  }
  const issuedAt = Math.floor(Date.now() / 1000)
  return new SignJWT({ roles: [...user.roles] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user.id)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ttlSeconds)
    .sign(new TextEncoder().encode(secret))
}

/** The user a verified token speaks for. */
export interface AuthUser {
  /** The token's `sub` claim: never empty. */
  id: string
  /** The token's `roles` claim; `[]` when the token has none. */
  roles: string[]
}

/**
 * Why a request was not authenticated: no token at all, a token whose `exp` has passed
 * (its signature was valid), or anything else (bad signature, algorithm, issuer, claims).
 */
export type AuthFailureReason = 'missing' | 'expired' | 'invalid'

/** The outcome of verifying a token: a result value, never an exception. */
export type AuthResult = { ok: true; user: AuthUser } | { ok: false; reason: AuthFailureReason }

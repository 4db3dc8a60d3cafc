import type { RequestHandler } from 'express'
import type { AuthFailureReason } from '../auth/AuthResult.ts'
import type { TokenVerifier } from '../auth/createTokenVerifier.ts'
import { tokenFromRequest } from '../auth/tokenFromRequest.ts'
import { sendError } from './sendError.ts'
import { userKey } from './userOf.ts'

const messages: Record<AuthFailureReason, string> = {
  missing: 'authentication required: send a bearer token',
  expired: 'token expired',
  invalid: 'token invalid',
}

/**
 * Middleware that authenticates the request (token from `tokenFromRequest`) and puts the
 * user on `res.locals.user` (read it with `userOf(res)`), or ends the request with 401 and
 * a JSON `{ error }` saying whether the token was missing, expired or invalid, plus a
 * `WWW-Authenticate: Bearer` header (RFC 6750).
 * @param verifier - checks the token
 */
export function requireUser(verifier: TokenVerifier): RequestHandler {
  return async (req, res, next) => {
    const token = tokenFromRequest(req)
    const result =
      token === undefined
        ? ({ ok: false, reason: 'missing' } as const)
        : await verifier.verify(token)
    if (!result.ok) {
      res.setHeader(
        'WWW-Authenticate',
        result.reason === 'missing' ? 'Bearer' : 'Bearer error="invalid_token"',
      )
      sendError(res, 401, messages[result.reason])
      return
    }
    res.locals[userKey] = result.user
    next()
  }
}

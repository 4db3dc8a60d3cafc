import type { RequestHandler } from 'express'
import { isOriginAllowed } from '../auth/isOriginAllowed.ts'
import { sendError } from './sendError.ts'

/** How long a browser may cache a CORS preflight answer, in seconds. */
const preflightMaxAgeSeconds = 600

/**
 * Middleware that refuses (403 JSON) a request whose `Origin` is not in the allowlist (see
 * `isOriginAllowed`: requests without an Origin pass), and answers CORS for allowed
 * browser origins: it sets `Access-Control-Allow-Origin` to the request's origin and
 * answers preflight `OPTIONS` requests itself (204), before any authentication, since a
 * browser never sends credentials on a preflight. Tokens travel in the `Authorization`
 * header, never in cookies, so no `Allow-Credentials` is sent.
 * @param origins - allowed origins; `['*']` allows every origin
 */
export function allowOrigins(origins: readonly string[]): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin
    res.vary('Origin')
    if (!isOriginAllowed(origin, origins)) {
      sendError(res, 403, 'origin not allowed')
      return
    }
    if (origin === undefined) {
      next()
      return
    }
    res.setHeader('Access-Control-Allow-Origin', origin)
    res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id')
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE')
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type')
      res.setHeader('Access-Control-Max-Age', String(preflightMaxAgeSeconds))
      res.status(204).end()
      return
    }
    next()
  }
}

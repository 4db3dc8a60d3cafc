import { randomUUID } from 'node:crypto'
import type { RequestHandler } from 'express'
import type { Logger } from 'pino'
import type { RelayMetrics } from './RelayMetrics.ts'

/** Where handlers find the request id on `res.locals`. */
export const requestIdKey = 'requestId'

/** Where the error handler leaves a server error for the request log line on `res.locals`. */
export const serverErrorKey = 'serverError'

/**
 * Middleware that gives each request an id (a random UUID, returned as `X-Request-Id` and
 * kept in `res.locals.requestId`), then writes one log line when the response ends, with
 * the id, method, path, status and duration, and records the duration in
 * `metrics.httpRequestDuration`. The path is logged without its query string, so a
 * `?token=` never reaches the logs; headers are never logged.
 * @param logger - receives one `info` line per request (`error` for 5xx, `warn` if aborted)
 * @param metrics - the histogram is labelled with the route pattern, `unmatched` for 404s
 */
export function requestLogger(logger: Logger, metrics: RelayMetrics): RequestHandler {
  return (req, res, next) => {
    const requestId = randomUUID()
    const started = performance.now()
    const path = pathWithoutQuery(req.originalUrl)
    res.locals[requestIdKey] = requestId
    res.setHeader('X-Request-Id', requestId)

    // The router resets `baseUrl` before an error reaches the error handler, so the full
    // route pattern is captured at the moment a route is matched.
    let route: string | undefined
    let matched: unknown
    Object.defineProperty(req, 'route', {
      configurable: true,
      enumerable: true,
      get: () => matched,
      set: (value: unknown) => {
        matched = value
        route = `${req.baseUrl}${routePath(value)}`
      },
    })

    res.once('close', () => {
      const seconds = (performance.now() - started) / 1000
      const status = res.statusCode
      const aborted = !res.writableFinished
      metrics.httpRequestDuration.observe(
        { method: req.method, route: route ?? 'unmatched', status: String(status) },
        seconds,
      )
      const line: Record<string, unknown> = {
        requestId,
        method: req.method,
        path,
        status,
        durationMs: Math.round(seconds * 1_000_000) / 1000,
      }
      if (aborted) line['aborted'] = true
      const serverError: unknown = res.locals[serverErrorKey]
      if (serverError !== undefined) line['error'] = serverError
      if (status >= 500) logger.error(line, 'request')
      else if (aborted) logger.warn(line, 'request')
      else logger.info(line, 'request')
    })
    next()
  }
}

function pathWithoutQuery(url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

function routePath(route: unknown): string {
  if (typeof route !== 'object' || route === null || !('path' in route)) return ''
  return String(route.path)
}

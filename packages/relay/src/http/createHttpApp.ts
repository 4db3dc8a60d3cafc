import { resolve } from 'node:path'
import express from 'express'
import type { Express, RequestHandler } from 'express'
import type { Logger } from 'pino'
import type { SchemaDefinition } from '@rowsync/schema'
import type { AuthUser } from '../auth/AuthResult.ts'
import type { TokenVerifier } from '../auth/createTokenVerifier.ts'
import { allowOrigins } from './allowOrigins.ts'
import { createDemoRouter } from './createDemoRouter.ts'
import { jsonErrorHandler } from './jsonErrorHandler.ts'
import { notFound } from './notFound.ts'
import type { RelayMetrics } from './RelayMetrics.ts'
import { requestLogger } from './requestLogger.ts'
import { requireUser } from './requireUser.ts'
import { userOf } from './userOf.ts'

/** Demo mode: see {@link createDemoRouter}. */
export interface DemoOptions {
  /** Whether to mount `/demo/users` and `/demo/token`; never on a relay with real data. */
  enabled: boolean
  /** The HS256 secret demo tokens are signed with; required when enabled. */
  secret: string | undefined
  /** The users anyone may become in demo mode. */
  users: readonly AuthUser[]
}

/** What {@link createHttpApp} needs. */
export interface HttpAppOptions {
  /** Receives one line per request; tokens and headers are never logged. */
  logger: Logger
  /** Checks tokens on every `/v1` request. */
  verifier: TokenVerifier
  /** Browser origins allowed on `/v1` and `/demo` (`['*']` for any); see `isOriginAllowed`. */
  origins: readonly string[]
  /** Served on `/metrics`; the app records request durations in it. */
  metrics: RelayMetrics
  /** Whether the relay can serve sync now (storage open, not shutting down); for `/readyz`. */
  isReady: () => boolean
  demo: DemoOptions
  /**
   * More authenticated API routes, mounted under `/v1` after the origin check, `requireUser`
   * and the JSON body parser; read the user with `userOf(res)`.
   */
  routes?: readonly RequestHandler[] | undefined
  /** Largest JSON request body in bytes; defaults to {@link defaultMaxJsonBodyBytes}. */
  maxJsonBodyBytes?: number | undefined
  /**
   * A directory of static files (a built web app) served at `/`, with `index.html` for any
   * other `GET` that asks for HTML (client-side routes). Default: none.
   */
  appDirectory?: string | undefined
  /**
   * The database's schema definition, served on `GET /v1/schema` so that clients (the web
   * app) take their schema from the relay they talk to. Default: no such route.
   */
  schema?: SchemaDefinition | undefined
}

/** Default of {@link HttpAppOptions.maxJsonBodyBytes}: 100 KiB, Express's own default. */
export const defaultMaxJsonBodyBytes = 100 * 1024

/**
 * Creates the relay's Express app. Routes:
 * - `GET /healthz`: 200 `{ status: 'ok' }` while the process serves HTTP; no auth.
 * - `GET /readyz`: 200 `{ status: 'ready' }` or 503 `{ status: 'not ready' }`; no auth.
 * - `GET /metrics`: Prometheus text. No auth, because operators usually scrape from inside
 *   their network; block `/metrics` at the proxy if the relay's port is public.
 * - `/v1/*`: the authenticated API: 403 for a disallowed browser Origin, 401 without a
 *   valid token. `GET /v1/me` returns `{ user: { id, roles } }`; with `schema`,
 *   `GET /v1/schema` returns the schema definition as JSON.
 * - `GET /demo/users`, `POST /demo/token`: only when `demo.enabled`.
 * - With `appDirectory`: its files at `/`, and its `index.html` for every other `GET` that
 *   accepts HTML; the routes above win.
 *
 * Every response carries `X-Request-Id`; every error is JSON `{ error }`. The WebSocket
 * endpoint is not part of this app: attach it to the same HTTP server's `upgrade` event.
 * @param options - see {@link HttpAppOptions}
 * @throws {Error} when demo mode is enabled without a secret
 */
export function createHttpApp(options: HttpAppOptions): Express {
  const { logger, verifier, origins, metrics, isReady, demo } = options
  const json = express.json({ limit: options.maxJsonBodyBytes ?? defaultMaxJsonBodyBytes })
  const checkOrigin = allowOrigins(origins)
  const app = express()
  app.disable('x-powered-by')
  app.use(requestLogger(logger, metrics))
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff')
    next()
  })

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' })
  })
  app.get('/readyz', (_req, res) => {
    const ready = isReady()
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready' })
  })
  app.get('/metrics', async (_req, res) => {
    const text = await metrics.registry.metrics()
    res.setHeader('Content-Type', metrics.registry.contentType)
    res.send(text)
  })

  // Authentication runs before the body parser, so anonymous clients cannot make the relay
  // read bodies.
  app.use('/v1', checkOrigin, requireUser(verifier), noStore, json)
  app.get('/v1/me', (_req, res) => {
    res.json({ user: userOf(res) })
  })
  const schema = options.schema
  if (schema !== undefined) {
    app.get('/v1/schema', (_req, res) => {
      res.json(schema)
    })
  }
  if (options.routes !== undefined && options.routes.length > 0) {
    app.use('/v1', ...options.routes)
  }

  if (demo.enabled) {
    // DEMO MODE ONLY: anyone may mint a token for any demo user.
    if (demo.secret === undefined || demo.secret === '') {
      throw new Error('createHttpApp: demo mode is enabled but demo.secret is not set')
    }
    logger.warn(
      { demoUsers: demo.users.map((user) => user.id) },
      'demo mode: anyone can get a token for a demo user at POST /demo/token',
    )
    app.use('/demo', checkOrigin, json, createDemoRouter(demo.secret, demo.users))
  }

  if (options.appDirectory !== undefined) app.use(serveApp(options.appDirectory))

  app.use(notFound)
  app.use(jsonErrorHandler)
  return app
}

/** Paths the app never answers with its `index.html`, so API clients keep getting JSON errors. */
const apiPrefixes = ['/v1/', '/demo/', '/sync', '/healthz', '/readyz', '/metrics']

/** The web app's static files, and its `index.html` for client-side routes. */
function serveApp(directory: string): express.Router {
  const router = express.Router()
  router.use(
    express.static(directory, {
      index: 'index.html',
      setHeaders: (res, path) => {
        // Built assets have content hashes in their names; the shell and the service worker
        // must be revalidated, or a new release never reaches a browser.
        res.setHeader(
          'Cache-Control',
          path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        )
      },
    }),
  )
  router.get(/.*/, (req, res, next) => {
    const isApi = apiPrefixes.some((prefix) => req.path === prefix || req.path.startsWith(prefix))
    if (isApi || !req.accepts('html')) return next()
    res.setHeader('Cache-Control', 'no-cache')
    res.sendFile(resolve(directory, 'index.html'), (error) => {
      if (error) next()
    })
  })
  return router
}

const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store')
  next()
}

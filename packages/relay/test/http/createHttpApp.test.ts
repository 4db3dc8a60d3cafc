import express from 'express'
import { SignJWT } from 'jose'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { createTokenVerifier } from '../../src/auth/createTokenVerifier.ts'
import { mintDemoToken } from '../../src/auth/mintDemoToken.ts'
import { createHttpApp } from '../../src/http/createHttpApp.ts'
import { RelayMetrics } from '../../src/http/RelayMetrics.ts'
import { userOf } from '../../src/http/userOf.ts'
import { demoUsers, startTestApp, testSecret } from './startTestApp.ts'
import type { TestApp } from './startTestApp.ts'

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

let running: TestApp | undefined
afterEach(async () => {
  await running?.close()
  running = undefined
})

async function setup(...args: Parameters<typeof startTestApp>): Promise<TestApp> {
  running = await startTestApp(...args)
  return running
}

function demoOn() {
  return { demo: { enabled: true, secret: testSecret, users: demoUsers } }
}

async function tokenFor(id = 'ada', roles: string[] = ['technician']): Promise<string> {
  return mintDemoToken(testSecret, { id, roles })
}

function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` }
}

describe('health, readiness and metrics', () => {
  it('answers /healthz without auth', async () => {
    const { url } = await setup()
    const response = await fetch(`${url}/healthz`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ok' })
  })

  it('answers /readyz with 200 when ready', async () => {
    const { url } = await setup()
    const response = await fetch(`${url}/readyz`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ready' })
  })

  it('answers /readyz with 503 when not ready', async () => {
    const { url } = await setup({ isReady: () => false })
    const response = await fetch(`${url}/readyz`)
    expect(response.status).toBe(503)
    expect(await response.json()).toEqual({ status: 'not ready' })
  })

  it('serves every relay metric and the process metrics on /metrics', async () => {
    const { url } = await setup()
    const response = await fetch(`${url}/metrics`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/)
    const text = await response.text()
    for (const name of [
      'rowsync_relay_connected_peers',
      'rowsync_relay_stored_rows',
      'rowsync_relay_loaded_documents',
      'rowsync_relay_sync_messages_total',
      'rowsync_relay_sync_bytes_total',
      'rowsync_relay_refused_messages_total',
      'rowsync_relay_feed_sequence',
      'rowsync_relay_http_request_duration_seconds',
      'process_cpu_user_seconds_total',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(text).toContain(`# TYPE ${name}`)
    }
  })

  it('records request durations by route pattern, not by path', async () => {
    const { url, metrics } = await setup()
    await fetch(`${url}/v1/me`, { headers: bearer(await tokenFor()) })
    await fetch(`${url}/no/such/path`)
    const text = await metrics.registry.metrics()
    expect(text).toContain(
      'rowsync_relay_http_request_duration_seconds_count{method="GET",route="/v1/me",status="200"} 1',
    )
    expect(text).toContain('route="unmatched",status="404"} 1')
    expect(text).not.toContain('/no/such/path')
  })
})

describe('GET /v1/me', () => {
  it('returns the user of a Bearer token', async () => {
    const { url } = await setup()
    const response = await fetch(`${url}/v1/me`, { headers: bearer(await tokenFor()) })
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await response.json()).toEqual({ user: { id: 'ada', roles: ['technician'] } })
  })

  it('returns the user of a ?token= query parameter', async () => {
    const { url } = await setup()
    const response = await fetch(`${url}/v1/me?token=${await tokenFor('grace', [])}`)
    expect(await response.json()).toEqual({ user: { id: 'grace', roles: [] } })
  })

  it('returns every role of the token', async () => {
    const { url } = await setup()
    const token = await tokenFor('grace', ['dispatcher', 'admin'])
    const response = await fetch(`${url}/v1/me`, { headers: bearer(token) })
    expect(await response.json()).toEqual({ user: { id: 'grace', roles: ['dispatcher', 'admin'] } })
  })

  it('answers 401 JSON without a token', async () => {
    const { url } = await setup()
    const response = await fetch(`${url}/v1/me`)
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer')
    expect(await response.json()).toEqual({ error: expect.any(String) as string })
  })

  it('answers 401 "token expired" for an expired token', async () => {
    const { url } = await setup()
    const now = Math.floor(Date.now() / 1000)
    const token = await new SignJWT({ sub: 'ada' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(now - 60)
      .sign(new TextEncoder().encode(testSecret))
    const response = await fetch(`${url}/v1/me`, { headers: bearer(token) })
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
    expect(await response.json()).toEqual({ error: 'token expired' })
  })

  it('answers 401 "token invalid" for a token signed with another secret', async () => {
    const { url } = await setup()
    const token = await mintDemoToken('another-secret-of-at-least-32-bytes!!', {
      id: 'ada',
      roles: ['admin'],
    })
    const response = await fetch(`${url}/v1/me`, { headers: bearer(token) })
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({ error: 'token invalid' })
  })

  it('answers 401 for a token with the right secret and another algorithm', async () => {
    const { url } = await setup()
    const token = await new SignJWT({ sub: 'ada' })
      .setProtectedHeader({ alg: 'HS384' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(testSecret))
    const response = await fetch(`${url}/v1/me`, { headers: bearer(token) })
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({ error: 'token invalid' })
  })

  it('answers 401 for a token with a malformed roles claim', async () => {
    const { url } = await setup()
    const token = await new SignJWT({ sub: 'ada', roles: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(testSecret))
    const response = await fetch(`${url}/v1/me`, { headers: bearer(token) })
    expect(response.status).toBe(401)
  })

  it('answers 401 for garbage in the Authorization header', async () => {
    const { url } = await setup()
    const response = await fetch(`${url}/v1/me`, { headers: bearer('not-a-jwt') })
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({ error: 'token invalid' })
  })
})

describe('Origin allowlist', () => {
  it('serves an allowed browser origin and says so in CORS headers', async () => {
    const { url } = await setup()
    const response = await fetch(`${url}/v1/me`, {
      headers: { ...bearer(await tokenFor()), Origin: 'https://app.example.com' },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
  })

  it('answers 403 JSON for a disallowed origin, even with a valid token', async () => {
    const { url } = await setup()
    const response = await fetch(`${url}/v1/me`, {
      headers: { ...bearer(await tokenFor()), Origin: 'https://evil.example' },
    })
    expect(response.status).toBe(403)
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
    expect(await response.json()).toEqual({ error: 'origin not allowed' })
  })

  it('serves a request without Origin (not a browser)', async () => {
    const { url } = await setup()
    const response = await fetch(`${url}/v1/me`, { headers: bearer(await tokenFor()) })
    expect(response.status).toBe(200)
  })

  it('allows any origin with *', async () => {
    const { url } = await setup({ origins: ['*'] })
    const response = await fetch(`${url}/v1/me`, {
      headers: { ...bearer(await tokenFor()), Origin: 'https://anywhere.example' },
    })
    expect(response.status).toBe(200)
  })

  it('answers a preflight from an allowed origin without a token', async () => {
    const { url } = await setup()
    const response = await fetch(`${url}/v1/me`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://app.example.com',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization',
      },
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-headers')).toContain('Authorization')
  })

  it('refuses a preflight from a disallowed origin', async () => {
    const { url } = await setup()
    const response = await fetch(`${url}/v1/me`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' },
    })
    expect(response.status).toBe(403)
  })

  it('leaves /healthz open to any origin', async () => {
    const { url } = await setup()
    const response = await fetch(`${url}/healthz`, { headers: { Origin: 'https://evil.example' } })
    expect(response.status).toBe(200)
  })
})

describe('demo routes', () => {
  it.each([
    ['GET', '/demo/users'],
    ['POST', '/demo/token'],
  ])('are absent (404 JSON) when demo mode is off: %s %s', async (method, path) => {
    const { url } = await setup()
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      ...(method === 'POST' ? { body: JSON.stringify({ user: 'ada' }) } : {}),
    })
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({ error: 'not found' })
  })

  it('list the demo users, marked demo', async () => {
    const { url } = await setup(demoOn())
    const response = await fetch(`${url}/demo/users`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ demo: true, users: demoUsers })
  })

  it('mint a token that /v1/me accepts', async () => {
    const { url } = await setup(demoOn())
    const response = await fetch(`${url}/demo/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: 'grace' }),
    })
    expect(response.status).toBe(200)
    const body = (await response.json()) as { demo: boolean; token: string }
    expect(body.demo).toBe(true)
    const me = await fetch(`${url}/v1/me`, { headers: bearer(body.token) })
    expect(await me.json()).toEqual({ user: { id: 'grace', roles: ['dispatcher', 'admin'] } })
  })

  it('answer 404 for a user that is not a demo user', async () => {
    const { url } = await setup(demoOn())
    const response = await fetch(`${url}/demo/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: 'mallory' }),
    })
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ demo: true })
  })

  it.each([{}, { user: 7 }, []])('answer 400 for the body %j', async (body) => {
    const { url } = await setup(demoOn())
    const response = await fetch(`${url}/demo/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ demo: true, error: expect.any(String) as string })
  })

  it('refuse a disallowed origin', async () => {
    const { url } = await setup(demoOn())
    const response = await fetch(`${url}/demo/users`, {
      headers: { Origin: 'https://evil.example' },
    })
    expect(response.status).toBe(403)
  })

  it('cannot be enabled without a secret', () => {
    expect(() =>
      createHttpApp({
        logger: pino({ level: 'silent' }),
        verifier: createTokenVerifier({ secret: testSecret }),
        origins: [],
        metrics: new RelayMetrics({ defaultMetrics: false }),
        isReady: () => true,
        demo: { enabled: true, secret: undefined, users: demoUsers },
      }),
    ).toThrow(Error)
  })

  it('warn in the log that demo mode is on', async () => {
    const { logs } = await setup(demoOn())
    expect(logs.entries().some((entry) => entry['level'] === 40)).toBe(true)
  })
})

describe('errors', () => {
  it('answers an unknown route with 404 JSON', async () => {
    const { url } = await setup()
    const response = await fetch(`${url}/nope`)
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({ error: 'not found' })
  })

  it('answers malformed JSON with 400 and a message, never a stack', async () => {
    const { url } = await setup(demoOn())
    const response = await fetch(`${url}/demo/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"user": "ada",',
    })
    expect(response.status).toBe(400)
    const text = await response.text()
    expect(JSON.parse(text)).toEqual({ error: 'request body is not valid JSON' })
    expect(text).not.toMatch(/\bat \S+:\d+/)
  })

  it('answers malformed JSON on an authenticated route with 400', async () => {
    const { url } = await setup()
    const response = await fetch(`${url}/v1/me`, {
      method: 'POST',
      headers: { ...bearer(await tokenFor()), 'Content-Type': 'application/json' },
      body: '{',
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ error: 'request body is not valid JSON' })
  })

  it('does not parse bodies for unauthenticated requests', async () => {
    const { url } = await setup()
    const response = await fetch(`${url}/v1/me`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{',
    })
    expect(response.status).toBe(401)
  })

  it('answers a body over the limit with 413', async () => {
    const { url } = await setup({ maxJsonBodyBytes: 1024 })
    const response = await fetch(`${url}/v1/me`, {
      method: 'POST',
      headers: { ...bearer(await tokenFor()), 'Content-Type': 'application/json' },
      body: JSON.stringify({ filler: 'x'.repeat(2048) }),
    })
    expect(response.status).toBe(413)
    expect(await response.json()).toEqual({ error: 'request body is too large' })
  })

  it('answers a failing route with 500 "internal error" and logs the stack', async () => {
    const router = express.Router()
    router.get('/explode', () => {
      throw new Error('disk on fire')
    })
    const { url, logs, metrics } = await setup({ routes: [router] })
    const response = await fetch(`${url}/v1/explode`, { headers: bearer(await tokenFor()) })
    expect(response.status).toBe(500)
    const text = await response.text()
    expect(JSON.parse(text)).toEqual({ error: 'internal error' })
    expect(text).not.toContain('disk on fire')
    const line = await logs.find((entry) => entry['path'] === '/v1/explode')
    expect(line['level']).toBe(50)
    expect(JSON.stringify(line['error'])).toContain('disk on fire')
    expect(await metrics.registry.metrics()).toContain('route="/v1/explode",status="500"')
  })
})

describe('more authenticated routes', () => {
  function whoamiRouter() {
    const router = express.Router()
    router.get('/whoami', (_req, res) => {
      res.json({ id: userOf(res).id })
    })
    return router
  }

  it('are mounted under /v1 with the user on res.locals', async () => {
    const { url } = await setup({ routes: [whoamiRouter()] })
    const response = await fetch(`${url}/v1/whoami`, { headers: bearer(await tokenFor()) })
    expect(await response.json()).toEqual({ id: 'ada' })
  })

  it('require a token', async () => {
    const { url } = await setup({ routes: [whoamiRouter()] })
    expect((await fetch(`${url}/v1/whoami`)).status).toBe(401)
  })
})

describe('request ids and request logs', () => {
  it('returns a fresh X-Request-Id on every response, errors included', async () => {
    const { url } = await setup()
    const first = await fetch(`${url}/healthz`)
    const second = await fetch(`${url}/v1/me`)
    const firstId = first.headers.get('x-request-id')
    expect(firstId).toMatch(uuidPattern)
    expect(second.headers.get('x-request-id')).toMatch(uuidPattern)
    expect(second.headers.get('x-request-id')).not.toBe(firstId)
  })

  it('writes one line per request with id, method, path, status and duration', async () => {
    const { url, logs } = await setup()
    const response = await fetch(`${url}/readyz?probe=1`)
    const requestId = response.headers.get('x-request-id')
    const line = await logs.find((entry) => entry['requestId'] === requestId)
    expect(line).toMatchObject({ method: 'GET', path: '/readyz', status: 200, msg: 'request' })
    expect(line['durationMs']).toEqual(expect.any(Number))
    expect(logs.entries().filter((entry) => entry['requestId'] === requestId)).toHaveLength(1)
  })

  it('never logs a token, whichever way it was sent', async () => {
    const { url, logs } = await setup()
    const viaHeader = await tokenFor('ada')
    const viaQuery = await tokenFor('grace')
    const viaProtocol = await tokenFor('linus')
    const expired = await new SignJWT({ sub: 'ada' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(testSecret))
    const responses = [
      await fetch(`${url}/v1/me`, { headers: bearer(viaHeader) }),
      await fetch(`${url}/v1/me?token=${viaQuery}`),
      await fetch(`${url}/v1/me`, {
        headers: { 'Sec-WebSocket-Protocol': `rowsync, rowsync.token.${viaProtocol}` },
      }),
      await fetch(`${url}/v1/me`, { headers: bearer(expired) }),
      await fetch(`${url}/nope?token=${viaQuery}`),
    ]
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 401, 404])
    for (const response of responses) {
      const requestId = response.headers.get('x-request-id')
      await logs.find((entry) => entry['requestId'] === requestId)
    }
    const everything = logs.raw.join('\n')
    for (const token of [viaHeader, viaQuery, viaProtocol, expired]) {
      expect(everything).not.toContain(token)
      // The signature alone would be enough to leak a token.
      expect(everything).not.toContain(token.split('.')[2])
    }
    expect(everything.toLowerCase()).not.toContain('authorization')
    expect(everything).not.toContain('token=')
  })
})

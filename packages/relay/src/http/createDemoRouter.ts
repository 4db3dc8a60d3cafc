import express from 'express'
import type { Router } from 'express'
import type { AuthUser } from '../auth/AuthResult.ts'
import { mintDemoToken } from '../auth/mintDemoToken.ts'
import { sendError } from './sendError.ts'

/** Lifetime of a demo token, in seconds. */
export const demoTokenTtlSeconds = 3600

// DEMO MODE ONLY. These routes hand out tokens to anyone who asks: never enable them on a
// relay holding real data. Every response says `demo: true` so nobody mistakes them.

/**
 * Creates the demo routes, for trying the relay without an identity provider:
 * `GET /users` lists the demo users, `POST /token` with JSON `{ "user": "<id>" }` returns
 * `{ demo: true, token, user, expiresInSeconds }`, an HS256 token for that user. Mount it
 * only in demo mode, after a JSON body parser.
 * @param secret - the HS256 secret the relay's verifier accepts
 * @param users - the users anyone may become
 */
export function createDemoRouter(secret: string, users: readonly AuthUser[]): Router {
  const router = express.Router()
  router.get('/users', (_req, res) => {
    res.json({ demo: true, users })
  })
  router.post('/token', async (req, res) => {
    const body: unknown = req.body
    const id = typeof body === 'object' && body !== null && 'user' in body ? body.user : undefined
    if (typeof id !== 'string') {
      sendError(res, 400, 'send JSON { "user": "<demo user id>" }', { demo: true })
      return
    }
    const user = users.find((candidate) => candidate.id === id)
    if (user === undefined) {
      sendError(res, 404, 'no demo user has this id', { demo: true })
      return
    }
    const token = await mintDemoToken(secret, user, demoTokenTtlSeconds)
    res.setHeader('Cache-Control', 'no-store')
    res.json({ demo: true, token, user, expiresInSeconds: demoTokenTtlSeconds })
  })
  return router
}

import express from 'express'
import type { Router } from 'express'
import { readableTables, type PermissionRules, type ProfileBody } from '@rowsync/schema'
import { userOf } from './userOf.ts'

/**
 * Creates `GET /profile`, to mount under `/v1` behind authentication: the tables the user may
 * read and the minutes between scheduled syncs of each (`ProfileBody`), so devices schedule
 * their syncs as the operator configured.
 * @param options.rules - the permission rules
 * @param options.syncIntervalMinutes - the configured interval of every table
 */
export function createProfileRouter(options: {
  rules: PermissionRules
  syncIntervalMinutes: Readonly<Record<string, number>>
}): Router {
  const router = express.Router()
  router.get('/profile', (_req, res) => {
    const tables = readableTables(options.rules, userOf(res)).sort()
    const body: ProfileBody = {
      tables,
      syncIntervalMinutes: Object.fromEntries(
        tables.flatMap((table) => {
          const minutes = options.syncIntervalMinutes[table]
          return minutes === undefined ? [] : [[table, minutes]]
        }),
      ),
    }
    res.json(body)
  })
  return router
}

import type { ProfileBody } from '@rowsync/schema'
import { expect, it, onTestFinished } from 'vitest'
import { exampleConfig } from '../../src/config/exampleConfig.ts'
import { nobody, startTestRelay, tom } from '../testRelay.ts'

// GET /v1/profile: the tables a user's devices sync and how often, from the relay's config.

async function relay() {
  const cleanups: Array<() => Promise<void>> = []
  onTestFinished(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
  })
  return startTestRelay(cleanups)
}

it("gives a user the tables their roles may read with the config's intervals", async () => {
  const { as } = await relay()
  const response = await as(tom).get<ProfileBody>('/v1/profile')
  expect(response.status).toBe(200)
  expect(response.body).toEqual({
    tables: ['customers', 'sites', 'technicians', 'workOrders'],
    syncIntervalMinutes: exampleConfig.syncIntervalMinutes,
  })
})

it('gives a user whose roles grant nothing an empty profile, and refuses no token', async () => {
  const { as, relay: running } = await relay()
  expect((await as(nobody).get<ProfileBody>('/v1/profile')).body).toEqual({
    tables: [],
    syncIntervalMinutes: {},
  })
  expect((await fetch(`${running.url}/v1/profile`)).status).toBe(401)
})

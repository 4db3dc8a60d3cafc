import { afterEach, expect, it, onTestFinished } from 'vitest'
import { exampleConfig } from '../../src/config/exampleConfig.ts'
import { dana, startTestRelay } from '../testRelay.ts'
import { startTestApp, type TestApp } from './startTestApp.ts'

// GET /v1/schema: clients such as the example web app take their schema from the relay.

let running: TestApp | undefined
afterEach(async () => {
  await running?.close()
  running = undefined
})

it("answers a signed-in user with the relay config's schema definition", async () => {
  const cleanups: Array<() => Promise<void>> = []
  onTestFinished(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
  })
  const { as } = await startTestRelay(cleanups)
  const response = await as(dana).get('/v1/schema')
  expect(response.status).toBe(200)
  expect(response.body).toEqual(exampleConfig.schema)
})

it('refuses a request without a token', async () => {
  running = await startTestApp({ schema: exampleConfig.schema })
  const response = await fetch(`${running.url}/v1/schema`)
  expect(response.status).toBe(401)
})

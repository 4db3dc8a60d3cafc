import { evaluateLifecycle } from '@rowsync/policies'
import type { Page } from 'playwright-core'
import { expect, it, onTestFinished } from 'vitest'
import { dana, rowPath } from '../../packages/relay/test/testRelay.ts'
import {
  createWorkOrder,
  useChromium,
  newDevice,
  runCleanups,
  screenshot,
  signIn,
  startAppRelay,
} from './harness.ts'

// The browser lifecycle: a hidden page starts no new sync (policies: as Android) and says why.

const browser = useChromium()

/** Emulates the tab being hidden or shown: what the browser does when the user switches away. */
async function setVisibility(page: Page, state: 'hidden' | 'visible'): Promise<void> {
  await page.evaluate((next) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => next })
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => next === 'hidden' })
    document.dispatchEvent(new Event('visibilitychange'))
  }, state)
}

const backgroundReason = evaluateLifecycle({
  platform: 'browser',
  app: 'background',
  screenLocked: false,
  online: true,
}).reason

async function setup() {
  const cleanups: Array<() => Promise<void>> = []
  onTestFinished(() => runCleanups(cleanups))
  const relay = await startAppRelay(cleanups)
  // No service worker, so the context's routes see every request of the page.
  const device = await newDevice(browser(), cleanups, { serviceWorkers: 'block' })
  return { ...relay, ...device }
}

it('shows the lifecycle reason while the page is hidden, and clears it when shown', async () => {
  const { relay, page } = await setup()
  await signIn(page, relay.url, 'dana')
  expect(await page.getByTestId('held-back').count()).toBe(0)
  await setVisibility(page, 'hidden')
  await expect.poll(() => page.getByTestId('held-back').textContent()).toBe(backgroundReason)
  await screenshot(page, '08-held-back')
  await setVisibility(page, 'visible')
  await expect.poll(() => page.getByTestId('held-back').count()).toBe(0)
})

it('finishes a download hidden mid-way, starts no new sync while hidden, syncs once shown', async () => {
  const { relay, as, page, context } = await setup()
  // A large initial download: rows the device has never seen.
  const api = as(dana)
  for (let index = 0; index < 300; index++) {
    const response = await api.put(rowPath('workOrders', `bulk-${index}`), {
      values: { title: `Bulk order ${index}`, technician: 'tom' },
    })
    expect(response.status).toBeLessThan(300)
  }
  // The snapshot is held at the relay's door until the page is hidden: hidden mid-download.
  let snapshotAsked = (): void => {}
  const asked = new Promise<void>((resolve) => (snapshotAsked = resolve))
  let releaseSnapshot = (): void => {}
  const released = new Promise<void>((resolve) => (releaseSnapshot = resolve))
  await context.route('**/v1/snapshot', async (route) => {
    snapshotAsked()
    await released
    await route.continue()
  })
  await signIn(page, relay.url, 'dana')
  await asked
  await setVisibility(page, 'hidden')
  await expect.poll(() => page.getByTestId('held-back').textContent()).toBe(backgroundReason)
  releaseSnapshot()

  // As on Android, the sync that was running when the page was hidden finishes.
  await expect.poll(() => page.locator('.summary').textContent()).toBe('300 of 300 work orders')
  await expect.poll(() => page.getByTestId('last-sync').textContent()).not.toBe('Never synced')

  // A change made while hidden stays on the device: no new sync starts.
  const id = await createWorkOrder(page, 'Written while hidden')
  await expect.poll(() => page.getByTestId('pending-upload').textContent()).toMatch(/^1 pending/)
  expect((await api.get(rowPath('workOrders', id))).status).toBe(404)

  await setVisibility(page, 'visible')
  await expect
    .poll(async () => (await api.get(rowPath('workOrders', id))).status, { timeout: 60_000 })
    .toBe(200)
  await page.getByRole('link', { name: 'Device' }).click()
  await expect
    .poll(() => page.locator('[data-table="workOrders"]').textContent(), { timeout: 60_000 })
    .toBe('301')
})

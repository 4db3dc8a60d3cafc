import type { Page } from 'playwright-core'
import { expect, it, onTestFinished } from 'vitest'
import {
  createWorkOrder,
  useChromium,
  newDevice,
  runCleanups,
  screenshot,
  signIn,
  startAppRelay,
} from './harness.ts'

// Two devices of one user edit the same work order offline: `status` has the flag policy,
// `priority` merges. Needs the client's sync engine (startSync).

const browser = useChromium()

/** Resolves once the device has nothing left to upload and is live with the relay. */
async function untilSynced(page: Page): Promise<void> {
  await expect
    .poll(() => page.locator('.status').getAttribute('data-state'), { timeout: 60_000 })
    .toBe('connected')
  await expect.poll(() => page.getByTestId('pending-upload').count(), { timeout: 60_000 }).toBe(0)
}

it('merges one field, flags the other on both devices, and one resolution clears both', async () => {
  const cleanups: Array<() => Promise<void>> = []
  onTestFinished(() => runCleanups(cleanups))
  const { relay } = await startAppRelay(cleanups)
  const phone = await newDevice(browser(), cleanups)
  const laptop = await newDevice(browser(), cleanups)
  await signIn(phone.page, relay.url, 'dana')
  await signIn(laptop.page, relay.url, 'dana')

  const id = await createWorkOrder(phone.page, 'Replace the valve')
  await untilSynced(phone.page)
  const detail = `${relay.url}/#/orders/${encodeURIComponent(id)}`
  await laptop.page.goto(detail)
  await laptop.page.getByRole('heading', { name: 'Replace the valve' }).waitFor({ timeout: 60_000 })
  await untilSynced(laptop.page)

  await phone.context.setOffline(true)
  await laptop.context.setOffline(true)
  await phone.page.getByLabel('Status').selectOption('in-progress')
  await phone.page.getByLabel('Priority').fill('1')
  await phone.page.getByRole('button', { name: 'Save' }).click()
  await laptop.page.getByLabel('Status').selectOption('done')
  await laptop.page.getByLabel('Priority').fill('5')
  await laptop.page.getByRole('button', { name: 'Save' }).click()
  for (const { page } of [phone, laptop]) {
    await expect.poll(() => page.getByTestId('pending-upload').textContent()).toMatch(/^1 pending/)
  }

  await phone.context.setOffline(false)
  await laptop.context.setOffline(false)
  for (const { page } of [phone, laptop]) {
    await page.getByRole('article', { name: 'Conflict on Status' }).waitFor({ timeout: 60_000 })
  }
  // The merged field shows one winner, the same on both devices.
  const priorities = await Promise.all(
    [phone, laptop].map(({ page }) => page.getByLabel('Priority').inputValue()),
  )
  expect(['1', '5']).toContain(priorities[0])
  expect(priorities[1]).toBe(priorities[0])
  // The flagged field lists both values on both devices, with who wrote them.
  for (const { page } of [phone, laptop]) {
    const card = page.getByRole('article', { name: 'Conflict on Status' })
    await expect.poll(() => card.textContent()).toContain('in-progress')
    await expect.poll(() => card.textContent()).toContain('done')
    expect(await card.textContent()).toContain('by dana')
    expect(await page.getByTestId('conflict-count').textContent()).toBe('1')
  }
  await screenshot(laptop.page, '06-conflict-on-row')
  await laptop.page.getByRole('link', { name: 'Conflicts' }).click()
  await laptop.page.getByRole('article', { name: 'Conflict on Status' }).waitFor()
  await screenshot(laptop.page, '07-conflict-list')

  await phone.page
    .getByRole('article', { name: 'Conflict on Status' })
    .getByRole('button', { name: 'Keep “done”' })
    .click()
  for (const { page } of [phone, laptop]) {
    await expect
      .poll(() => page.getByRole('article', { name: 'Conflict on Status' }).count(), {
        timeout: 60_000,
      })
      .toBe(0)
  }
  expect(await phone.page.getByLabel('Status').inputValue()).toBe('done')
})

import { describe, expect, it, onTestFinished } from 'vitest'
import {
  createWorkOrder,
  useChromium,
  newDevice,
  runCleanups,
  screenshot,
  signIn,
  startAppRelay,
  untilServiceWorkerControls,
} from './harness.ts'

// The example app in real Chromium: sign-in, the form, IndexedDB, the service worker.

const browser = useChromium()

async function setup() {
  const cleanups: Array<() => Promise<void>> = []
  onTestFinished(() => runCleanups(cleanups))
  const { relay } = await startAppRelay(cleanups)
  const device = await newDevice(browser(), cleanups)
  return { relay, ...device }
}

describe('the example app', () => {
  it('signs in, creates and edits a work order, and starts offline with every row', async () => {
    const { relay, context, page } = await setup()
    await page.goto(relay.url)
    await screenshot(page, '01-sign-in')
    await signIn(page, relay.url, 'dana')

    const pumpId = await createWorkOrder(page, 'Fix the pump')
    await page.getByLabel('Status').selectOption('scheduled')
    await page.getByLabel('Priority').fill('1')
    await page.getByLabel('Description').fill('Pressure drops every morning.')
    await page.getByLabel('Due date').fill('2026-04-01')
    await page.getByLabel('Scheduled for').fill('2026-03-30T09:30')
    await page.getByLabel('Estimate (hours)').fill('2.5')
    await page.getByLabel('Billable').check()
    await page.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Saved' }).count()).toBe(1)
    await page.getByRole('button', { name: 'Add one (Parts used)' }).click()
    await expect
      .poll(() => page.getByRole('spinbutton', { name: 'Parts used' }).inputValue())
      .toBe('1')
    await page.getByLabel('Title').fill('Fix the main pump')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.getByRole('heading', { name: 'Fix the main pump' }).waitFor()
    await page.getByRole('heading', { name: 'History' }).waitFor()
    await expect
      .poll(() => page.locator('.history').textContent())
      .toContain('Fix the pump → Fix the main pump')
    await screenshot(page, '03-detail')

    await page.getByRole('link', { name: 'Back to list' }).click()
    await createWorkOrder(page, 'Inspect boiler')
    await page.getByRole('link', { name: 'Work orders' }).first().click()
    await page.getByRole('link', { name: 'Fix the main pump' }).waitFor()
    await page.getByRole('link', { name: 'Inspect boiler' }).waitFor()
    await screenshot(page, '02-list')

    await page.getByLabel('Search').fill('boiler')
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1)
    await page.getByLabel('Search').fill('')
    await page.getByLabel('Status', { exact: true }).selectOption('scheduled')
    await expect
      .poll(() => page.locator('tbody tr').allTextContents())
      .toEqual([expect.stringContaining('Fix the main pump')])

    await page.getByRole('link', { name: 'Device' }).click()
    await expect.poll(() => page.locator('[data-table="workOrders"]').textContent()).toBe('2')
    await expect.poll(() => page.getByTestId('storage-used').textContent()).toMatch(/B/)
    await screenshot(page, '04-device')

    await untilServiceWorkerControls(page)
    await context.setOffline(true)
    await page.goto(`${relay.url}/#/`)
    await page.getByRole('link', { name: 'Fix the main pump' }).waitFor()
    await page.getByRole('link', { name: 'Inspect boiler' }).waitFor()
    await page.goto(`${relay.url}/#/orders/${encodeURIComponent(pumpId)}`)
    await expect
      .poll(() => page.getByRole('spinbutton', { name: 'Parts used' }).inputValue())
      .toBe('1')
    expect(await page.getByLabel('Billable').isChecked()).toBe(true)
    expect(await page.getByLabel('Description').inputValue()).toBe('Pressure drops every morning.')
    await screenshot(page, '05-offline-detail')
  })

  it('deletes a work order after asking', async () => {
    const { relay, page } = await setup()
    await signIn(page, relay.url, 'dana')
    await createWorkOrder(page, 'Wrong entry')
    await page.getByRole('button', { name: 'Delete' }).click()
    await page.getByRole('button', { name: 'Yes, delete' }).click()
    await page.getByRole('heading', { name: 'Work orders' }).waitFor()
    await expect.poll(() => page.locator('.summary').textContent()).toBe('0 of 0 work orders')
  })

  it('names the offending field when a value does not fit the schema', async () => {
    const { relay, page } = await setup()
    await signIn(page, relay.url, 'dana')
    await page.getByRole('link', { name: 'New work order' }).click()
    await page.getByRole('button', { name: 'Create' }).click()
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('Title')
  })
})

import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from 'playwright-core'
import { afterAll, beforeAll, expect } from 'vitest'
import { startTestRelay } from '../../packages/relay/test/testRelay.ts'

// Real Chromium (Debian's package, never a downloaded browser) against a real relay on
// loopback that serves the built example app.

/** Debian's Chromium; `.ci/run` installs it. */
export const chromiumPath = '/usr/bin/chromium'
/** The example app's Vite config; `globalSetup.ts` builds it into {@link appDirectory}. */
export const appConfigFile = fileURLToPath(
  new URL('../../packages/client/app/vite.config.ts', import.meta.url),
)
/** The built example app. */
export const appDirectory = fileURLToPath(
  new URL('../../packages/client/app/dist', import.meta.url),
)
const artifacts = fileURLToPath(new URL('artifacts/', import.meta.url))

/**
 * Starts headless Chromium before the file's tests and closes it after them (one per test file
 * keeps two shared cores usable).
 * @returns the running browser, once the file's tests run
 */
export function useChromium(): () => Browser {
  let browser: Browser | undefined
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    })
  })
  afterAll(async () => {
    await browser?.close()
  })
  return () => {
    if (!browser) throw new Error('useChromium: the browser is not started yet')
    return browser
  }
}

/** A relay in demo mode serving the built app; `cleanups` stops it. */
export function startAppRelay(cleanups: Array<() => Promise<void>>) {
  return startTestRelay(cleanups, undefined, { appDirectory, demo: true })
}

/**
 * A fresh browser context (its own IndexedDB and service workers): one device.
 * @param options - more context options, e.g. `serviceWorkers: 'block'` to route requests
 */
export async function newDevice(
  browser: Browser,
  cleanups: Array<() => Promise<void>>,
  options: BrowserContextOptions = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, ...options })
  cleanups.push(() => context.close())
  const page = await context.newPage()
  return { context, page }
}

/** Opens the app and signs in as a demo user; resolves once the work order list shows. */
export async function signIn(page: Page, url: string, user: string): Promise<void> {
  await page.goto(url)
  await page.getByRole('button', { name: `Sign in as ${user}` }).click()
  await page.getByRole('heading', { name: 'Work orders' }).waitFor()
}

/** Resolves once the app's service worker controls the page, so a reload works offline. */
export async function untilServiceWorkerControls(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready
    if (navigator.serviceWorker.controller) return
    await new Promise((resolve) =>
      navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }),
    )
  })
}

/** Creates a work order through the form; returns its row id from the URL. */
export async function createWorkOrder(page: Page, title: string): Promise<string> {
  await page.getByRole('link', { name: 'New work order' }).click()
  await page.getByLabel('Title').fill(title)
  await page.getByRole('button', { name: 'Create' }).click()
  await page.waitForURL(/#\/orders\/(?!new)/)
  const id = decodeURIComponent(new URL(page.url()).hash.replace('#/orders/', ''))
  expect(id).not.toBe('')
  return id
}

/** Saves a full-page screenshot to test/browser/artifacts/<name>.png (gitignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(artifacts, { recursive: true })
  await page.screenshot({ path: `${artifacts}${name}.png`, fullPage: true })
}

/** Runs cleanups last-first, so contexts close before the relay. */
export async function runCleanups(cleanups: Array<() => Promise<void>>): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
}

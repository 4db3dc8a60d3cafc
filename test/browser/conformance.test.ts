import { fileURLToPath } from 'node:url'
import { build, type Rolldown } from 'vite'
import { expect, it } from 'vitest'
import { appConfigFile, useChromium } from './harness.ts'

// The storage conformance suite (runStorageConformance, written for vitest) in real Chromium
// on its real IndexedDB: Vite bundles the suite with a page-side stand-in for vitest, the page
// runs it and reports every case.

const browser = useChromium()

async function bundle(): Promise<string> {
  const output = (await build({
    configFile: appConfigFile,
    logLevel: 'error',
    resolve: {
      alias: [
        {
          find: /^vitest$/,
          replacement: fileURLToPath(new URL('conformance/vitestShim.ts', import.meta.url)),
        },
      ],
    },
    build: {
      write: false,
      minify: false,
      rolldownOptions: {
        input: fileURLToPath(new URL('conformance/entry.ts', import.meta.url)),
        output: { entryFileNames: 'entry.js', codeSplitting: false },
      },
    },
  })) as Rolldown.RolldownOutput | Rolldown.RolldownOutput[]
  const outputs = Array.isArray(output) ? output : [output]
  const chunk = outputs
    .flatMap((result) => result.output)
    .find((file) => file.type === 'chunk' && file.fileName === 'entry.js')
  if (chunk?.type !== 'chunk') throw new Error('bundling the conformance page: no entry.js')
  return chunk.code
}

it('the stock IndexedDB adapter passes storage conformance in Chromium', async () => {
  const code = await bundle()
  const context = await browser().newContext()
  try {
    const page = await context.newPage()
    // A secure origin that only exists in this test: the route answers every request.
    const origin = 'http://localhost:8999'
    await page.route(`${origin}/**`, (route) => {
      const path = new URL(route.request().url()).pathname
      return path === '/entry.js'
        ? route.fulfill({ contentType: 'text/javascript', body: code })
        : route.fulfill({
            contentType: 'text/html',
            body: '<!doctype html><script type="module" src="/entry.js"></script>',
          })
    })
    await page.goto(`${origin}/`)
    const handle = await page.waitForFunction(() => window.conformanceResults, undefined, {
      timeout: 300_000,
    })
    const results = (await handle.jsonValue()) as
      Array<{ title: string; passed: boolean; error?: string }> | { crashed: string }
    if (!Array.isArray(results)) throw new Error(`the page crashed: ${results.crashed}`)
    expect(results.filter((result) => !result.passed)).toEqual([])
    // automerge-repo's acceptance suite and Rowsync's cases both ran.
    expect(results.filter((result) => result.title.includes('acceptance')).length).toBeGreaterThan(
      5,
    )
    expect(results.filter((result) => result.title.includes('Rowsync cases')).length).toBe(16)
  } finally {
    await context.close()
  }
})

import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { ConfigError, exampleConfig, loadRelayConfig } from '@rowsync/relay'

/** A fresh directory, removed after the test. */
async function setup(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'rowsync-config-'))
  onTestFinished(() => rm(directory, { recursive: true, force: true }))
  return directory
}

async function writeConfig(directory: string, text: string): Promise<string> {
  const file = join(directory, 'relay.json')
  await writeFile(file, text)
  return file
}

async function errorOf(promise: Promise<unknown>): Promise<ConfigError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  if (!(error instanceof ConfigError))
    throw new Error(`expected a ConfigError, got ${String(error)}`)
  return error
}

describe('loadRelayConfig', () => {
  it('loads a valid file with defaults applied', async () => {
    const file = await writeConfig(await setup(), JSON.stringify(exampleConfig))
    const config = await loadRelayConfig(file)
    expect(config.schema.database).toBe('field-service')
    expect(config.limits.maxFrameBytes).toBe(1024 * 1024)
  })

  it('accepts a byte order mark', async () => {
    const file = await writeConfig(await setup(), `\uFEFF${JSON.stringify(exampleConfig)}`)
    await expect(loadRelayConfig(file)).resolves.toBeDefined()
  })

  it('throws a ConfigError for a missing file', async () => {
    const file = join(await setup(), 'missing.json')
    const error = await errorOf(loadRelayConfig(file))
    expect(error.issues.map((issue) => issue.path)).toEqual([''])
    expect(error.message).toContain(file)
  })

  it('throws a ConfigError for invalid JSON', async () => {
    const file = await writeConfig(await setup(), '{ "schema": ')
    const error = await errorOf(loadRelayConfig(file))
    expect(error.issues.map((issue) => issue.path)).toEqual([''])
    expect(error.cause).toBeInstanceOf(SyntaxError)
  })

  it('names every bad key in the message', async () => {
    const input = {
      ...exampleConfig,
      auth: { secret: 'in the file' },
      limits: { maxFrameBytes: -1 },
      origins: ['example.com'],
    }
    const file = await writeConfig(await setup(), JSON.stringify(input))
    const error = await errorOf(loadRelayConfig(file))
    expect(error.name).toBe('ConfigError')
    for (const path of ['auth.secret', 'limits.maxFrameBytes', 'origins.0']) {
      expect(error.issues.map((issue) => issue.path)).toContain(path)
      expect(error.message).toContain(path)
    }
  })
})

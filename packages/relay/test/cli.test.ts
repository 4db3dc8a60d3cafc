import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'
import { exampleConfig } from '@rowsync/relay'

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url))
const cli = 'packages/relay/src/cli.ts'
const bin = 'packages/relay/bin/rowsync-relay.js'
// Each run starts Node and compiles the CLI with tsx: seconds on a busy machine.
const timeout = 60_000

interface Exit {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * A stand-in for `startRelay`, so these tests check the CLI alone: it reports the options it
 * got on stdout, keeps the process alive like a listening server, and reports `close()`.
 * With env FAKE_RELAY=fail it refuses to start.
 */
const fakeStartRelay = `
export async function startRelay(options) {
  if (process.env.FAKE_RELAY === 'fail') throw new Error('fake relay refused to start')
  const keepAlive = setInterval(() => {}, 1 << 30)
  const { config, port, dataDirectory, authSecret, logger, appDirectory } = options
  process.stdout.write(JSON.stringify({ fake: 'started', port, dataDirectory, authSecret,
    demo: config.demo.enabled, database: config.schema.database,
    logger: typeof logger.info, appDirectory: appDirectory ?? null }) + '\\n')
  return {
    url: 'http://127.0.0.1:' + port,
    async close() {
      clearInterval(keepAlive)
      process.stdout.write(JSON.stringify({ fake: 'closed' }) + '\\n')
    },
  }
}`
const fakeUrl = `data:text/javascript,${encodeURIComponent(fakeStartRelay)}`
// Registered after tsx, so this resolve hook runs first and swaps the CLI's startRelay import.
const hooks = `
export async function resolve(specifier, context, next) {
  if (specifier === './startRelay.ts' && context.parentURL?.endsWith('/cli.ts')) {
    return { url: ${JSON.stringify(fakeUrl)}, shortCircuit: true }
  }
  return next(specifier, context)
}`
const registerFake = `import { register } from 'node:module'
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)})`
const withFakeRelay = [
  '--import',
  'tsx',
  '--import',
  `data:text/javascript,${encodeURIComponent(registerFake)}`,
  cli,
]

/** Starts the CLI as a child process, with `env` on top of an environment free of relay settings. */
function spawnCli(
  args: readonly string[],
  env: Record<string, string>,
  entry: readonly string[],
): ChildProcessWithoutNullStreams {
  const baseEnv = { ...process.env }
  for (const name of ['PORT', 'DATA_DIR', 'RELAY_AUTH_SECRET', 'LOG_LEVEL', 'FAKE_RELAY']) {
    delete baseEnv[name]
  }
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: repositoryRoot,
    env: { ...baseEnv, ...env },
  })
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  return child
}

/** Collects a child's output until it exits. */
function exitOf(child: ChildProcessWithoutNullStreams): Promise<Exit> {
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: string) => (stdout += chunk))
  child.stderr.on('data', (chunk: string) => (stderr += chunk))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Runs the CLI to its end. */
function run(
  args: readonly string[],
  env: Record<string, string> = {},
  entry: readonly string[] = ['--import', 'tsx', cli],
): Promise<Exit> {
  return exitOf(spawnCli(args, env, entry))
}

/** Resolves once the child writes a stdout line containing `text`. */
function lineContaining(child: ChildProcessWithoutNullStreams, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = ''
    const onData = (chunk: string): void => {
      buffered += chunk
      const line = buffered.split('\n').find((candidate) => candidate.includes(text))
      if (line === undefined) return
      child.stdout.off('data', onData)
      resolve(line)
    }
    child.stdout.on('data', onData)
    child.on('close', () => reject(new Error(`exited before writing ${text}`)))
  })
}

/** Writes a config file in a fresh directory, removed after the test. */
async function writeConfig(input: unknown): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'rowsync-cli-'))
  onTestFinished(() => rm(directory, { recursive: true, force: true }))
  const file = join(directory, 'relay.json')
  await writeFile(file, typeof input === 'string' ? input : JSON.stringify(input))
  return file
}

describe('rowsync-relay', () => {
  it('prints its usage for --help and exits 0', { timeout }, async () => {
    const exit = await run(['--help'])
    expect(exit.code).toBe(0)
    expect(exit.stdout).toContain('Usage: rowsync-relay')
    const options = ['--port <number>', '--data <dir>', '--config <file>', '--demo', '--app <dir>']
    for (const option of options) {
      expect(exit.stdout).toContain(option)
    }
    expect(exit.stdout).toContain('RELAY_AUTH_SECRET')
  })

  it('runs from its bin script', { timeout }, async () => {
    const exit = await run(['--help'], {}, [bin])
    expect(exit.code).toBe(0)
    expect(exit.stdout).toContain('Usage: rowsync-relay')
  })

  it('exits 1 naming every bad key of an invalid config', { timeout }, async () => {
    const file = await writeConfig({
      ...exampleConfig,
      permissions: {
        roles: { auditor: { tables: { invoices: { access: 'read', rows: 'all' } } } },
      },
      limits: { maxFrameBytes: 0 },
    })
    const exit = await run(['--config', file], { RELAY_AUTH_SECRET: 'x'.repeat(32) })
    expect(exit.code).toBe(1)
    expect(exit.stderr).toContain(file)
    expect(exit.stderr).toContain('permissions.roles.auditor.tables.invoices')
    expect(exit.stderr).toContain('limits.maxFrameBytes')
    expect(exit.stderr).not.toContain('    at ')
  })

  it('exits 1 for a config that is not JSON', { timeout }, async () => {
    const file = await writeConfig('{ "schema"')
    const exit = await run(['--config', file, '--demo'])
    expect(exit.code).toBe(1)
    expect(exit.stderr).toContain('not valid JSON')
  })

  it('exits 1 for a missing config file', { timeout }, async () => {
    const exit = await run(['--config', 'no/such/relay.json', '--demo'])
    expect(exit.code).toBe(1)
    expect(exit.stderr).toContain('no/such/relay.json')
  })

  it('exits 1 for a bad --port', { timeout }, async () => {
    const exit = await run(['--port', '70000', '--demo'])
    expect(exit.code).toBe(1)
    expect(exit.stderr).toContain('--port')
  })

  it('exits 1 for a bad env PORT', { timeout }, async () => {
    const exit = await run(['--demo'], { PORT: 'http' })
    expect(exit.code).toBe(1)
    expect(exit.stderr).toContain('env PORT')
  })

  it('exits 1 when no token could ever be verified', { timeout }, async () => {
    const exit = await run([])
    expect(exit.code).toBe(1)
    expect(exit.stderr).toContain('RELAY_AUTH_SECRET')
  })

  it('exits 1 for a short RELAY_AUTH_SECRET', { timeout }, async () => {
    const exit = await run([], { RELAY_AUTH_SECRET: 'short' })
    expect(exit.code).toBe(1)
    expect(exit.stderr).toContain('RELAY_AUTH_SECRET')
  })

  it('passes port, data directory, secret and config to startRelay', { timeout }, async () => {
    const secret = 's'.repeat(32)
    const child = spawnCli(
      ['--demo'],
      { PORT: '4321', DATA_DIR: 'rows', RELAY_AUTH_SECRET: secret },
      withFakeRelay,
    )
    const exit = exitOf(child)
    const started = lineContaining(child, '"fake":"started"')
    await lineContaining(child, 'relay ready')
    // The default app directory depends on whether the example app is built; see below.
    const reported = JSON.parse(await started) as Record<string, unknown>
    delete reported['appDirectory']
    expect(reported).toEqual({
      fake: 'started',
      port: 4321,
      dataDirectory: join(repositoryRoot, 'rows'),
      authSecret: secret,
      demo: true,
      database: 'field-service',
      logger: 'function',
    })
    child.kill('SIGTERM')
    expect((await exit).code).toBe(0)
  })

  it('lets --port and --data win over the environment', { timeout }, async () => {
    const directory = join(tmpdir(), 'rowsync-cli-data')
    const args = ['--demo', '--port', '0', '--data', directory]
    const child = spawnCli(args, { PORT: '4321', DATA_DIR: 'rows' }, withFakeRelay)
    const exit = exitOf(child)
    const started = lineContaining(child, '"fake":"started"')
    await lineContaining(child, 'relay ready')
    expect(JSON.parse(await started)).toMatchObject({ port: 0, dataDirectory: directory })
    child.kill('SIGTERM')
    expect((await exit).code).toBe(0)
  })

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'closes the relay on %s and exits 0',
    { timeout },
    async (signal) => {
      const child = spawnCli(['--demo', '--port', '0'], {}, withFakeRelay)
      const exit = exitOf(child)
      const listening = await lineContaining(child, 'relay ready')
      expect(JSON.parse(listening)).toMatchObject({ url: 'http://127.0.0.1:0' })
      child.kill(signal)
      const { code, stdout } = await exit
      expect(code).toBe(0)
      expect(stdout).toContain('"fake":"closed"')
      expect(stdout).toContain('relay closed; exiting')
    },
  )

  it('serves the app directory given with --app', { timeout }, async () => {
    const directory = await mkdtemp(join(tmpdir(), 'rowsync-cli-app-'))
    onTestFinished(() => rm(directory, { recursive: true, force: true }))
    await writeFile(join(directory, 'index.html'), '<!doctype html><title>app</title>')
    const child = spawnCli(['--demo', '--port', '0', '--app', directory], {}, withFakeRelay)
    const exit = exitOf(child)
    const started = lineContaining(child, '"fake":"started"')
    await lineContaining(child, 'relay ready')
    expect(JSON.parse(await started)).toMatchObject({ appDirectory: directory })
    child.kill('SIGTERM')
    expect((await exit).code).toBe(0)
  })

  it('serves no app with --no-app', { timeout }, async () => {
    const child = spawnCli(['--demo', '--port', '0', '--no-app'], {}, withFakeRelay)
    const exit = exitOf(child)
    const started = lineContaining(child, '"fake":"started"')
    await lineContaining(child, 'relay ready')
    expect(JSON.parse(await started)).toMatchObject({ appDirectory: null })
    child.kill('SIGTERM')
    expect((await exit).code).toBe(0)
  })

  it('exits 1 for an --app directory without index.html', { timeout }, async () => {
    const directory = await mkdtemp(join(tmpdir(), 'rowsync-cli-app-'))
    onTestFinished(() => rm(directory, { recursive: true, force: true }))
    const exit = await run(['--demo', '--app', directory])
    expect(exit.code).toBe(1)
    expect(exit.stderr).toContain('--app')
  })

  it('exits 1 when the relay does not start', { timeout }, async () => {
    const exit = await run(['--demo'], { FAKE_RELAY: 'fail' }, withFakeRelay)
    expect(exit.code).toBe(1)
    expect(exit.stdout).toContain('fake relay refused to start')
  })
})

/**
 * The `rowsync-relay` command: reads the config, starts the relay and closes it on SIGTERM
 * or SIGINT. The only relay file that writes to the console.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Command, InvalidArgumentError } from 'commander'
import { pino } from 'pino'
import type { Logger } from 'pino'
import { ConfigError } from './config/ConfigError.ts'
import { exampleConfig } from './config/exampleConfig.ts'
import { loadRelayConfig } from './config/loadRelayConfig.ts'
import { parseRelayConfig } from './config/parseRelayConfig.ts'
import type { RelayConfig } from './config/RelayConfig.ts'
import { startRelay } from './startRelay.ts'

type RunningRelay = Awaited<ReturnType<typeof startRelay>>

const defaultPort = 3030
const defaultDataDirectory = './data'
// RFC 7518 (3.2): an HS256 key is at least as long as the hash output, 256 bits.
const minimumSecretLength = 32
// The example web app of @rowsync/client once built (`npm run build:app`); served only by path,
// so the relay never imports client code.
const builtAppDirectory = fileURLToPath(new URL('../../client/app/dist/', import.meta.url))

interface CliOptions {
  port?: number
  data?: string
  config?: string
  demo?: boolean
  app?: string | false
}

/** A startup problem the operator fixes; printed without a stack trace. */
class UsageError extends Error {
  override readonly name = 'UsageError'
}

function parsePort(value: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN
  if (!(port >= 0 && port <= 65535)) {
    throw new InvalidArgumentError(`expected a port from 0 to 65535, got ${JSON.stringify(value)}`)
  }
  return port
}

function createProgram(): Command {
  return new Command('rowsync-relay')
    .description('Rowsync relay: stores row documents, authorizes and replicates them.')
    .option(
      '--port <number>',
      `port to listen on, 0 for any free one (env PORT, default ${defaultPort})`,
      parsePort,
    )
    .option(
      '--data <dir>',
      `directory for the embedded storage (env DATA_DIR, default ${defaultDataDirectory})`,
    )
    .option(
      '--config <file>',
      'JSON config: schema, permissions, origins, auth, limits (default: the example field-service database)',
    )
    .option('--demo', "let the config's demo users sign in without a token issuer")
    .option(
      '--app <dir>',
      'a built web app to serve at / (default: the example app in packages/client/app/dist, when built)',
    )
    .option('--no-app', 'serve no web app')
    .addHelpText(
      'after',
      [
        '',
        'Environment:',
        '  RELAY_AUTH_SECRET  HS256 secret of tokens, at least 32 characters (never in the config file)',
        '  PORT, DATA_DIR     defaults for --port and --data',
        '  LOG_LEVEL          pino log level (default info)',
      ].join('\n'),
    )
    .showHelpAfterError()
}

async function readConfig(file: string | undefined): Promise<RelayConfig> {
  if (file !== undefined) return loadRelayConfig(file)
  const result = parseRelayConfig(exampleConfig)
  if (!result.ok) throw new ConfigError('exampleConfig', result.issues)
  return result.config
}

function createLogger(level: string | undefined): Logger {
  const chosen = level ?? 'info'
  if (!Object.hasOwn(pino.levels.values, chosen) && chosen !== 'silent') {
    throw new UsageError(
      `env LOG_LEVEL: expected one of ${Object.keys(pino.levels.values).join(', ')} or silent`,
    )
  }
  return pino({ name: 'rowsync-relay', level: chosen })
}

/** The `--app` directory, checked; the built example app when present and none was given. */
function chooseAppDirectory(option: string | false | undefined): string | undefined {
  if (option === false) return undefined
  if (option === undefined) {
    return existsSync(resolve(builtAppDirectory, 'index.html')) ? builtAppDirectory : undefined
  }
  const directory = resolve(option)
  if (!existsSync(resolve(directory, 'index.html'))) {
    throw new UsageError(`--app ${option}: no index.html in ${directory}`)
  }
  return directory
}

async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const options = createProgram().parse(argv).opts<CliOptions>()
  let port = options.port
  if (port === undefined && env.PORT !== undefined && env.PORT !== '') {
    try {
      port = parsePort(env.PORT)
    } catch (error) {
      throw new UsageError(`env PORT: ${(error as Error).message}`)
    }
  }
  const dataDirectory = resolve(options.data ?? (env.DATA_DIR || defaultDataDirectory))
  let authSecret = env.RELAY_AUTH_SECRET === '' ? undefined : env.RELAY_AUTH_SECRET
  if (authSecret !== undefined && authSecret.length < minimumSecretLength) {
    throw new UsageError(`env RELAY_AUTH_SECRET: use at least ${minimumSecretLength} characters`)
  }
  let config = await readConfig(options.config)
  if (options.demo === true) {
    if (config.demo.users.length === 0) {
      throw new UsageError('--demo: the config has no demo.users')
    }
    config = { ...config, demo: { ...config.demo, enabled: true } }
  }
  if (authSecret === undefined && config.auth.jwksUrl === undefined && !config.demo.enabled) {
    throw new UsageError(
      'no way to verify tokens: set env RELAY_AUTH_SECRET, auth.jwksUrl in the config, or use --demo',
    )
  }
  const appDirectory = chooseAppDirectory(options.app)
  const logger = createLogger(env.LOG_LEVEL)
  if (config.demo.enabled && authSecret === undefined) {
    // Demo tokens need a signing secret; one made up per start means they end with the process.
    authSecret = randomBytes(32).toString('base64url')
    logger.warn(
      'demo mode without RELAY_AUTH_SECRET: demo tokens are signed with a per-start secret',
    )
  }

  if (appDirectory !== undefined && !config.origins.includes('*')) {
    // Browsers send an Origin on the app's own POSTs and WebSocket too, and the relay cannot
    // tell which public address (proxy, TLS) people open it at.
    logger.warn(
      { origins: config.origins },
      'serving a web app: list the origin people open it at in the config origins, or the relay refuses its requests',
    )
  }

  let relay: RunningRelay | undefined
  let stopSignal: NodeJS.Signals | undefined
  const close = (running: RunningRelay): void => {
    logger.info({ signal: stopSignal }, 'closing the relay')
    running.close().then(
      () => {
        logger.info('relay closed; exiting')
        process.exit(0)
      },
      (error: unknown) => {
        logger.error({ err: error }, 'closing the relay failed')
        process.exit(1)
      },
    )
  }
  // Installed before the relay starts, so a signal during startup closes it once it is up.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopSignal !== undefined) {
      logger.warn({ signal }, 'second signal: exiting without waiting for close')
      process.exit(1)
    }
    stopSignal = signal
    if (relay !== undefined) close(relay)
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)

  try {
    relay = await startRelay({
      config,
      port: port ?? defaultPort,
      dataDirectory,
      authSecret,
      logger,
      ...(appDirectory === undefined ? {} : { appDirectory }),
    })
  } catch (error) {
    logger.fatal({ err: error }, 'the relay did not start')
    process.exit(1)
  }
  logger.info(
    {
      url: relay.url,
      database: config.schema.database,
      dataDirectory,
      demo: config.demo.enabled,
      app: appDirectory ?? null,
    },
    'relay ready',
  )
  if (stopSignal !== undefined) close(relay)
}

try {
  await main(process.argv, process.env)
} catch (error) {
  // Known startup problems get their message alone; anything else is a bug and keeps its stack.
  const text =
    error instanceof ConfigError || error instanceof UsageError
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error)
  process.stderr.write(`rowsync-relay: ${text}\n`)
  process.exitCode = 1
}

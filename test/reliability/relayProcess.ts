import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { exampleConfig, type RelayConfigFile } from '@rowsync/relay'
import { SignJWT } from 'jose'

// The relay as operators run it: `rowsync-relay` in a child process on loopback, so that a
// crash is an exit we can see, memory is the relay's alone, and SIGKILL is a real one.

/** The HS256 secret every campaign relay verifies tokens with (env RELAY_AUTH_SECRET). */
export const relaySecret = 'reliability-campaign-secret-0123456789abcdef'

const relayBin = fileURLToPath(
  new URL('../../packages/relay/bin/rowsync-relay.js', import.meta.url),
)

/** A user of the example config (dana dispatcher, tom and tina technicians, ada auditor). */
export interface CampaignUser {
  readonly id: string
  readonly roles: readonly string[]
}

export const dana: CampaignUser = { id: 'dana', roles: ['dispatcher'] }
export const tom: CampaignUser = { id: 'tom', roles: ['technician'] }
export const tina: CampaignUser = { id: 'tina', roles: ['technician'] }
export const ada: CampaignUser = { id: 'ada', roles: ['auditor'] }

/**
 * Signs an HS256 token as the relay's verifier expects it.
 * @param options.secret - default {@link relaySecret}; another one forges the token
 * @param options.expiresInSeconds - default 3600; negative for an expired token
 */
export async function tokenFor(
  user: CampaignUser,
  options: { secret?: string; expiresInSeconds?: number } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const expiresIn = options.expiresInSeconds ?? 3600
  return new SignJWT({ roles: [...user.roles] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user.id)
    .setIssuedAt(Math.min(now, now + expiresIn - 60))
    .setExpirationTime(now + expiresIn)
    .sign(new TextEncoder().encode(options.secret ?? relaySecret))
}

/** A relay child process. */
export interface RelayProcess {
  readonly child: ChildProcess
  /** e.g. `http://127.0.0.1:40123` */
  readonly url: string
  /** The same with `ws:` and the sync path. */
  readonly syncUrl: string
  /** Resolves when the process exits, however. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Whether the process is still running. */
  isRunning(): boolean
  /** The last log lines (JSON from pino), for failure messages. */
  recentLogs(): string[]
  /** Log lines seen at level error (50) or above. */
  errorLogs(): string[]
}

/** Writes a config file: the example config with `change` applied over it. */
export async function writeConfig(directory: string, change: Partial<RelayConfigFile>) {
  const file = join(directory, 'relay-config.json')
  await writeFile(file, JSON.stringify({ ...exampleConfig, ...change }))
  return file
}

/**
 * Starts `rowsync-relay --port 0 --data <dataDirectory>` and resolves once it logged
 * `relay ready`; rejects if it exits before. Its output is always drained (a full pipe would
 * stall it).
 * @param options.configFile - `--config`; default the example config
 */
export async function spawnRelay(
  dataDirectory: string,
  options: { configFile?: string } = {},
): Promise<RelayProcess> {
  const args = [relayBin, '--port', '0', '--data', dataDirectory]
  if (options.configFile !== undefined) args.push('--config', options.configFile)
  const child = spawn(process.execPath, args, {
    env: { ...process.env, RELAY_AUTH_SECRET: relaySecret, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let running = true
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false
      resolve({ code, signal })
    })
  })
  const recent: string[] = []
  const errors: string[] = []
  let markReady: (url: string) => void = () => undefined
  const ready = new Promise<string>((resolve) => {
    markReady = resolve
  })
  const onLine = (line: string) => {
    recent.push(line)
    if (recent.length > 50) recent.shift()
    let record: { level?: number; msg?: string; url?: string }
    try {
      record = JSON.parse(line) as typeof record
    } catch {
      // Not pino: a crash trace on stderr is an error.
      if (line.trim() !== '') errors.push(line)
      return
    }
    if ((record.level ?? 0) >= 50) errors.push(line)
    if (record.msg === 'relay ready' && record.url !== undefined) markReady(record.url)
  }
  createInterface({ input: child.stdout }).on('line', onLine)
  createInterface({ input: child.stderr }).on('line', onLine)
  const result = await Promise.race([ready, exited.then(() => undefined)])
  if (result === undefined) {
    throw new Error(`spawnRelay: the relay exited before it was ready:\n${recent.join('\n')}`)
  }
  const url = result.replace('localhost', '127.0.0.1')
  return {
    child,
    url,
    syncUrl: `${url.replace('http', 'ws')}/sync`,
    exited,
    isRunning: () => running,
    recentLogs: () => [...recent],
    errorLogs: () => [...errors],
  }
}

/** Kills the relay with `signal` (default SIGKILL) and waits for it to exit. */
export async function stopRelay(relay: RelayProcess, signal: NodeJS.Signals = 'SIGKILL') {
  if (relay.isRunning()) relay.child.kill(signal)
  await relay.exited
}

/** A temporary directory and what removes it. */
export async function temporaryDirectory(prefix: string) {
  const directory = await mkdtemp(join(tmpdir(), prefix))
  return { directory, remove: () => rm(directory, { recursive: true, force: true }) }
}

/** Calls the relay's HTTP API as a user; returns status and text body. */
export async function api(
  relay: Pick<RelayProcess, 'url'>,
  user: CampaignUser,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { Authorization: `Bearer ${await tokenFor(user)}` }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const response = await fetch(`${relay.url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: response.status, text: await response.text() }
}

/** The relay's resident memory in bytes, from its Prometheus metrics. */
export async function relayMemory(relay: Pick<RelayProcess, 'url'>) {
  const text = await (await fetch(`${relay.url}/metrics`)).text()
  const value = (name: string) => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `))
    if (line === undefined) throw new Error(`relayMemory: no metric ${name}`)
    return Number(line.split(' ')[1])
  }
  return {
    residentBytes: value('process_resident_memory_bytes'),
    heapUsedBytes: value('nodejs_heap_size_used_bytes'),
  }
}

/** Whether `/healthz` answers 200. */
export async function isHealthy(relay: Pick<RelayProcess, 'url'>): Promise<boolean> {
  try {
    return (await fetch(`${relay.url}/healthz`)).status === 200
  } catch {
    return false
  }
}

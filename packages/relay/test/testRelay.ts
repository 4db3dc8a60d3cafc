import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as Automerge from '@automerge/automerge'
import { Repo, type DocumentId } from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import {
  changeOptions,
  rowDocumentId,
  rowSkeleton,
  toRowId,
  writeValues,
  type FieldValue,
  type RowDocument,
} from '@rowsync/schema'
import { pino } from 'pino'
import { mintDemoToken } from '../src/auth/mintDemoToken.ts'
import { exampleConfig } from '../src/config/exampleConfig.ts'
import { parseRelayConfig } from '../src/config/parseRelayConfig.ts'
import type { RelayConfig } from '../src/config/RelayConfig.ts'
import { startRelay, type RunningRelay } from '../src/startRelay.ts'

// A real relay on loopback (the example field-service config) for the feed, snapshot and rows
// tests, with HTTP and stock automerge-repo clients acting as the example's users.

const secret = 'test-secret-for-the-feed-and-rows-suites'

/** A user of the example config: dana dispatches, tom and tina are technicians, ada audits. */
export interface TestUser {
  readonly id: string
  readonly roles: readonly string[]
}

export const dana: TestUser = { id: 'dana', roles: ['dispatcher'] }
export const tom: TestUser = { id: 'tom', roles: ['technician'] }
export const tina: TestUser = { id: 'tina', roles: ['technician'] }
export const ada: TestUser = { id: 'ada', roles: ['auditor'] }
/** A user whose roles grant nothing. */
export const nobody: TestUser = { id: 'nobody', roles: [] }

/** The example database's demo users by name. */
export const users = { dana, tom, tina, ada }

/** An HTTP response: status and JSON body (undefined when there is none), typed by the caller. */
export interface ApiResponse<Body> {
  status: number
  body: Body
}

/** The body of an error response; `issues` on 400s from validation. */
export interface ErrorResponse {
  error: string
  issues?: Array<{ field: string; expected: string; got: string }>
}

/** Calls the relay's HTTP API as a user. */
export interface Api {
  get<Body = ErrorResponse>(path: string): Promise<ApiResponse<Body>>
  put<Body = ErrorResponse>(path: string, body: unknown): Promise<ApiResponse<Body>>
  delete<Body = ErrorResponse>(path: string): Promise<ApiResponse<Body>>
  /** The raw response, for the snapshot. */
  fetch(path: string): Promise<Response>
  /** A raw request with the user's token (uploads, document streams). */
  request(path: string, init: RequestInit): Promise<Response>
}

/** A logger whose lines tests can wait for, by message. */
function watchedLogger() {
  const waiters: Array<{ message: string; resolve: () => void }> = []
  const logger = pino(
    { level: 'debug' },
    {
      write(line: string) {
        const { msg } = JSON.parse(line) as { msg: string }
        for (const waiter of waiters.filter((w) => w.message === msg)) waiter.resolve()
      },
    },
  )
  /** Resolves on the next line with this message; call it before the action that logs it. */
  const logged = (message: string) =>
    new Promise<void>((resolve) => waiters.push({ message, resolve }))
  return { logger, logged }
}

/** The example config, parsed. */
export function relayConfig(): RelayConfig {
  const result = parseRelayConfig(exampleConfig)
  if (!result.ok) throw new Error(JSON.stringify(result.issues))
  return result.config
}

/** Extras of {@link startTestRelay}: a web app to serve at `/`, demo mode for its sign-in. */
export interface TestRelayOptions {
  readonly appDirectory?: string
  readonly demo?: boolean
}

/**
 * Starts a relay, on `dataDirectory` or a fresh temporary one; `cleanups` gets what stops it
 * (and removes a directory it created), and every client it connects.
 */
export async function startTestRelay(
  cleanups: Array<() => Promise<void>>,
  dataDirectory?: string,
  options: TestRelayOptions = {},
) {
  const parsed = relayConfig()
  const config = options.demo ? { ...parsed, demo: { ...parsed.demo, enabled: true } } : parsed
  const { logger, logged } = watchedLogger()
  const directory = dataDirectory ?? (await mkdtemp(join(tmpdir(), 'rowsync-feed-')))
  const relay: RunningRelay = await startRelay({
    config,
    port: 0,
    host: '127.0.0.1',
    dataDirectory: directory,
    authSecret: secret,
    logger,
    ...(options.appDirectory === undefined ? {} : { appDirectory: options.appDirectory }),
  })
  cleanups.push(async () => {
    await relay.close()
    if (!dataDirectory) await rm(directory, { recursive: true, force: true })
  })

  const tokenOf = (user: TestUser) => mintDemoToken(secret, { id: user.id, roles: [...user.roles] })

  const as = (user: TestUser): Api => {
    const call = async (method: string, path: string, body?: unknown) => {
      const headers: Record<string, string> = { Authorization: `Bearer ${await tokenOf(user)}` }
      if (body !== undefined) headers['Content-Type'] = 'application/json'
      return fetch(`${relay.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    }
    const json = async <Body>(response: Response): Promise<ApiResponse<Body>> => {
      const text = await response.text()
      return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as Body }
    }
    return {
      get: async <Body>(path: string) => json<Body>(await call('GET', path)),
      put: async <Body>(path: string, body: unknown) => json<Body>(await call('PUT', path, body)),
      delete: async <Body>(path: string) => json<Body>(await call('DELETE', path)),
      fetch: async (path) => call('GET', path),
      request: async (path, init) =>
        fetch(`${relay.url}${path}`, {
          ...init,
          headers: {
            ...(init.headers as Record<string, string>),
            Authorization: `Bearer ${await tokenOf(user)}`,
          },
        }),
    }
  }

  /** A stock automerge-repo client connected to the relay as the user. */
  const connect = async (user: TestUser) => {
    const adapter = new WebSocketClientAdapter(
      `${relay.url.replace('http', 'ws')}/sync?token=${await tokenOf(user)}`,
    )
    const repo = new Repo({ network: [adapter] })
    cleanups.push(() => repo.shutdown())
    await repo.networkSubsystem.whenReady()
    return repo
  }

  return { config, relay, directory, logged, as, connect, tokenOf }
}

/** The document id of a row of the example database. */
export function documentIdOf(table: string, id: string): DocumentId {
  return rowDocumentId(relayConfig().schema.database, table, toRowId(id)) as string as DocumentId
}

/**
 * A row document as any Automerge writer could make it, following the row layout.
 * @param actor - the actor of the change after the skeleton (hex)
 */
export function rowDocument(
  table: string,
  id: string,
  values: Record<string, FieldValue>,
  actor = 'ab'.repeat(16),
): Automerge.Doc<RowDocument> {
  const schema = relayConfig().schema
  const tableSchema = schema.tables.get(table)!
  const rowId = toRowId(id)
  const documentId = rowDocumentId(schema.database, table, rowId)
  const metadata = { user: 'stock', device: 'stock', time: Date.now(), kind: 'insert' as const }
  return Automerge.change(
    rowSkeleton(tableSchema, rowId, documentId, actor),
    changeOptions(metadata),
    (draft: RowDocument) => {
      draft._deleted = false
      writeValues(draft, tableSchema, values)
    },
  )
}

/** The path of a row in the rows API. */
export function rowPath(table: string, id: string): string {
  return `/v1/tables/${table}/rows/${id}`
}

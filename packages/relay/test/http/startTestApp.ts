import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import { createTokenVerifier } from '../../src/auth/createTokenVerifier.ts'
import { createHttpApp } from '../../src/http/createHttpApp.ts'
import type { HttpAppOptions } from '../../src/http/createHttpApp.ts'
import { RelayMetrics } from '../../src/http/RelayMetrics.ts'

export const testSecret = 'a-test-secret-of-at-least-32-bytes!!'

export const demoUsers = [
  { id: 'ada', roles: ['technician'] },
  { id: 'grace', roles: ['dispatcher', 'admin'] },
]

/** Log lines a test's pino logger wrote, parsed. */
export class CapturedLogs {
  readonly raw: string[] = []
  private readonly waiters: Array<() => void> = []

  write(line: string): void {
    this.raw.push(line)
    for (const wake of this.waiters.splice(0)) wake()
  }

  entries(): Array<Record<string, unknown>> {
    return this.raw.map((line) => JSON.parse(line) as Record<string, unknown>)
  }

  /** Resolves with the first entry matching `predicate`, waiting for it to be written. */
  async find(
    predicate: (entry: Record<string, unknown>) => boolean,
  ): Promise<Record<string, unknown>> {
    for (;;) {
      const found = this.entries().find(predicate)
      if (found !== undefined) return found
      await new Promise<void>((resolve) => this.waiters.push(resolve))
    }
  }
}

/** A relay HTTP app on a loopback port; see {@link startTestApp}. */
export interface TestApp {
  url: string
  logs: CapturedLogs
  metrics: RelayMetrics
  close(): Promise<void>
}

/**
 * Serves `createHttpApp` on a free loopback port with an HS256 verifier, a capturing
 * logger at `debug`, origins `https://app.example.com`, ready, demo off; `overrides` win.
 */
export async function startTestApp(overrides: Partial<HttpAppOptions> = {}): Promise<TestApp> {
  const logs = new CapturedLogs()
  const metrics = new RelayMetrics()
  const app = createHttpApp({
    logger: pino({ level: 'debug' }, logs),
    verifier: createTokenVerifier({ secret: testSecret }),
    origins: ['https://app.example.com'],
    metrics,
    isReady: () => true,
    demo: { enabled: false, secret: undefined, users: [] },
    ...overrides,
  })
  const server = createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    logs,
    metrics,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error === undefined ? resolve() : reject(error)))
      }),
  }
}

import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { UserIdentity } from '@rowsync/schema'
import type { StockDocument } from './syncFixtures.ts'

/** What the server process starts: a Rowsync relay or a stock automerge-repo sync server. */
export type ServerStart =
  | {
      readonly system: 'rowsync-relay'
      /** The relay's data directory, on disk. */
      readonly dataDirectory: string
      /** The demo users whose tokens `POST /demo/token` hands out. */
      readonly users: readonly UserIdentity[]
    }
  | {
      readonly system: 'automerge-repo'
      /** Documents in the server's storage from the start. */
      readonly documents: readonly StockDocument[]
    }

/** A request to a running stock server, answered by a {@link ServerAnswer}. */
export type ServerRequest =
  | {
      readonly type: 'wait-for-documents'
      readonly documentIds: readonly string[]
      readonly timeoutMs: number
    }
  | {
      readonly type: 'change-titles'
      readonly documentIds: readonly string[]
      readonly title: string
    }

/** What the server process sends back. */
export type ServerAnswer =
  | { readonly type: 'started'; readonly url: string }
  | { readonly type: 'held'; readonly held: number }
  | { readonly type: 'changed' }
  | { readonly type: 'failed'; readonly error: string }

/** A sync server running in a child process. */
export interface SyncServer {
  /** Its base URL: `http://127.0.0.1:PORT` (the stock server takes WebSockets at `ws://` there). */
  readonly url: string
  /**
   * Asks the stock server for something and waits for its answer.
   * @throws {Error} when the server failed or exited
   */
  request(request: ServerRequest): Promise<ServerAnswer>
  /** Stops the server process and waits for it to exit. */
  close(): Promise<void>
}

/** A request that the server process stop (and exit). */
export interface ServerControl {
  readonly type: 'close'
}

/** How long a server may take to close before it is killed. */
const closeGraceMs = 10_000

const serverFile = fileURLToPath(new URL('./serverProcess.ts', import.meta.url))

/**
 * Starts a sync server in a process of its own (`serverProcess.ts`), so that the devices'
 * process measures only the devices, as with a relay on another machine.
 * @param start - what to start
 * @throws {Error} when the server does not start
 */
export async function startSyncServer(start: ServerStart): Promise<SyncServer> {
  const child = fork(serverFile, [], {
    execArgv: ['--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 2, 'inherit', 'ipc'],
    serialization: 'advanced',
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const next = (): Promise<ServerAnswer> =>
    new Promise((resolve) => {
      const onExit = () => resolve({ type: 'failed', error: 'the server process exited' })
      child.once('exit', onExit)
      child.once('message', (answer) => {
        child.off('exit', onExit)
        resolve(answer as ServerAnswer)
      })
    })
  const close = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    // Ask first, so the relay flushes its storage; a server too busy to answer is killed.
    child.send({ type: 'close' } satisfies ServerControl)
    const timer = setTimeout(() => child.kill('SIGKILL'), closeGraceMs)
    await exited
    clearTimeout(timer)
  }
  const started = next()
  child.send(start)
  const answer = await started
  if (answer.type !== 'started') {
    await close()
    throw new Error(
      `sync server ${start.system}: ${answer.type === 'failed' ? answer.error : answer.type}`,
    )
  }
  let queue = Promise.resolve()
  return {
    url: answer.url,
    request(request) {
      // One request at a time: answers come back in order on the one channel.
      const reply = queue.then(() => {
        const answered = next()
        child.send(request)
        return answered
      })
      queue = reply.then(() => undefined)
      return reply.then((result) => {
        if (result.type === 'failed') throw new Error(`sync server: ${result.error}`)
        return result
      })
    },
    close,
  }
}

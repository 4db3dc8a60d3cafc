import { createServer, connect, type Socket } from 'node:net'
import { once } from 'node:events'
import WebSocket from 'ws'

/** A TCP proxy on loopback in front of a server, counting the bytes each way. */
export interface CountingProxy {
  /** The proxy's base URL, with the server's scheme: devices connect here instead. */
  readonly url: string
  /** Bytes the server sent to devices since the last {@link CountingProxy.reset}. */
  readonly bytesToDevices: number
  /** Bytes devices sent to the server since the last reset. */
  readonly bytesFromDevices: number
  reset(): void
  close(): Promise<void>
}

/**
 * Starts a byte-counting TCP proxy for an `http://host:port` server (HTTP and WebSockets pass
 * through unchanged), so both systems' wire bytes are counted the same way.
 * @param target - the server's base URL
 * @param port - the port to listen on; default any free one
 */
export async function startCountingProxy(target: string, port = 0): Promise<CountingProxy> {
  const { hostname, port: targetPort } = new URL(target)
  let toDevices = 0
  let fromDevices = 0
  const sockets = new Set<Socket>()
  const server = createServer((device) => {
    const upstream = connect(Number(targetPort), hostname)
    for (const socket of [device, upstream]) {
      sockets.add(socket)
      socket.setNoDelay(true)
      socket.once('close', () => sockets.delete(socket))
      socket.on('error', () => {
        device.destroy()
        upstream.destroy()
      })
    }
    device.on('data', (chunk: Buffer) => (fromDevices += chunk.byteLength))
    upstream.on('data', (chunk: Buffer) => (toDevices += chunk.byteLength))
    device.pipe(upstream).pipe(device)
  })
  server.listen(port, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (typeof address !== 'object' || address === null) throw new Error('proxy: no address')
  return {
    url: `http://127.0.0.1:${address.port}`,
    get bytesToDevices() {
      return toDevices
    },
    get bytesFromDevices() {
      return fromDevices
    },
    reset() {
      toDevices = 0
      fromDevices = 0
    },
    close() {
      // Not waiting for the server's 'close': a client that failed may still be reconnecting.
      server.close()
      for (const socket of sockets) socket.destroy()
      return Promise.resolve()
    },
  }
}

/** Messages this process exchanged: HTTP requests made with `fetch`, WebSocket messages. */
export interface MessageCounter {
  readonly httpRequests: number
  /** Sent and received, on every `ws` socket of the process. */
  readonly webSocketMessages: number
  reset(): void
  /** Stops counting and restores `fetch` and `ws`. */
  stop(): void
}

/**
 * Counts the messages this process exchanges from now on: both Rowsync's client (`fetch`,
 * `ws` through `isomorphic-ws`) and stock automerge-repo's WebSocket adapter (`ws`) go through
 * what this wraps.
 */
export function countMessages(): MessageCounter {
  let httpRequests = 0
  let webSocketMessages = 0
  const realFetch = globalThis.fetch
  const prototype = WebSocket.prototype
  const realSend = Object.getOwnPropertyDescriptor(prototype, 'send')
  const realEmit = Object.getOwnPropertyDescriptor(prototype, 'emit')
  globalThis.fetch = (input, init) => {
    httpRequests++
    return realFetch(input, init)
  }
  // The originals are called with the socket as `this`, exactly as `ws` would call them.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const { send, emit } = prototype
  prototype.send = function (this: WebSocket, ...args: Parameters<WebSocket['send']>) {
    webSocketMessages++
    send.apply(this, args)
  } as WebSocket['send']
  prototype.emit = function (this: WebSocket, event: string | symbol, ...args: unknown[]) {
    if (event === 'message') webSocketMessages++
    return emit.call(this, event, ...args)
  }
  return {
    get httpRequests() {
      return httpRequests
    },
    get webSocketMessages() {
      return webSocketMessages
    },
    reset() {
      httpRequests = 0
      webSocketMessages = 0
    },
    stop() {
      globalThis.fetch = realFetch
      for (const [name, descriptor] of [
        ['send', realSend],
        ['emit', realEmit],
      ] as const) {
        if (descriptor) Object.defineProperty(prototype, name, descriptor)
        else delete (prototype as unknown as Record<string, unknown>)[name]
      }
    },
  }
}

import { createConnection, createServer, type Server, type Socket } from 'node:net'

// A TCP proxy between devices and the relay that injects faults into every connection it
// carries, HTTP and WebSocket alike (it never parses a byte): it drops connections, delays
// chunks (keeping their order), cuts connections after a number of bytes from the relay
// (mid-response, mid-frame) and refuses new connections for a while.

/** What the proxy did, for the figures. */
export interface FaultCounts {
  connections: number
  refused: number
  dropped: number
  cut: number
  delayedChunks: number
}

interface Link {
  readonly client: Socket
  readonly upstream: Socket
  /** Bytes sent from the relay to the device on this connection. */
  downstreamBytes: number
  /** Cut this connection once this many bytes came from the relay. */
  readonly cutAfter: number | undefined
}

/** A fault-injecting TCP proxy to a port on loopback. */
export class FaultProxy {
  readonly counts: FaultCounts = {
    connections: 0,
    refused: 0,
    dropped: 0,
    cut: 0,
    delayedChunks: 0,
  }
  /** Delay of every chunk in both directions, in ms; 0 forwards at once. */
  delayMs = 0
  /** Whether new connections are refused (closed at once). */
  refusing = false
  /** New connections are cut after this many bytes from the relay; undefined never. */
  cutAfterBytes: number | undefined
  readonly #server: Server
  readonly #links = new Set<Link>()
  readonly #targetPort: number

  private constructor(server: Server, targetPort: number) {
    this.#server = server
    this.#targetPort = targetPort
  }

  /** Starts a proxy on a free loopback port that forwards to `targetPort`. */
  static async start(targetPort: number): Promise<FaultProxy> {
    const server = createServer({ allowHalfOpen: true })
    const proxy = new FaultProxy(server, targetPort)
    server.on('connection', (client) => proxy.#accept(client))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return proxy
  }

  /** The proxy's base URL for devices. */
  get url(): string {
    const address = this.#server.address()
    if (address === null || typeof address === 'string') throw new Error('proxy: not listening')
    return `http://127.0.0.1:${address.port}`
  }

  /** Resets every open connection (devices see the relay vanish). */
  dropAll(): void {
    for (const link of this.#links) {
      this.counts.dropped += 1
      this.#close(link)
    }
  }

  /** Turns every fault off. */
  heal(): void {
    this.delayMs = 0
    this.refusing = false
    this.cutAfterBytes = undefined
  }

  /** Closes every connection and stops listening. */
  async close(): Promise<void> {
    for (const link of this.#links) this.#close(link)
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #accept(client: Socket): void {
    client.on('error', () => undefined)
    if (this.refusing) {
      this.counts.refused += 1
      client.resetAndDestroy()
      return
    }
    this.counts.connections += 1
    const upstream = createConnection({
      port: this.#targetPort,
      host: '127.0.0.1',
      allowHalfOpen: true,
    })
    upstream.on('error', () => undefined)
    const link: Link = { client, upstream, downstreamBytes: 0, cutAfter: this.cutAfterBytes }
    this.#links.add(link)
    // A reset or error on one side resets the other; a clean end is passed on once the
    // bytes before it are forwarded.
    const closeLink = (hadError: boolean) => {
      if (hadError) this.#close(link)
      else if (client.destroyed && upstream.destroyed) this.#links.delete(link)
    }
    client.on('close', closeLink)
    upstream.on('close', closeLink)
    this.#forward(link, client, upstream, false)
    this.#forward(link, upstream, client, true)
  }

  #forward(link: Link, from: Socket, to: Socket, downstream: boolean): void {
    let queue = Promise.resolve()
    from.on('data', (chunk: Buffer) => {
      const delay = this.delayMs
      let data = chunk
      if (downstream && link.cutAfter !== undefined) {
        const room = link.cutAfter - link.downstreamBytes
        if (room < data.byteLength) data = data.subarray(0, Math.max(0, room))
      }
      if (downstream) link.downstreamBytes += data.byteLength
      const cut = data !== chunk
      const send = () => {
        if (to.destroyed) return
        if (data.byteLength > 0) to.write(data)
        if (cut) {
          this.counts.cut += 1
          this.#close(link)
        }
      }
      if (delay === 0) {
        queue = queue.then(send)
        return
      }
      this.counts.delayedChunks += 1
      // Later chunks wait behind earlier ones: delays never reorder bytes within a connection.
      queue = queue
        .then(() => new Promise<void>((resolve) => setTimeout(resolve, delay)))
        .then(send)
    })
    from.on('end', () => {
      queue = queue.then(() => {
        if (!to.destroyed) to.end()
      })
    })
  }

  #close(link: Link): void {
    if (!this.#links.delete(link)) return
    link.client.resetAndDestroy()
    link.upstream.resetAndDestroy()
  }
}

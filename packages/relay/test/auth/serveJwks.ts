import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { JWK } from 'jose'

/** A JSON Web Key Set served on loopback for one test. */
export interface JwksServer {
  url: string
  /** How many times the key set was fetched. */
  fetches(): number
  close(): Promise<void>
}

/**
 * Serves `{ keys }` at `/.well-known/jwks.json` on a free loopback port.
 * @param keys - the public keys to publish
 * @param status - the HTTP status to answer with (to simulate a broken identity provider)
 */
export async function serveJwks(keys: JWK[], status = 200): Promise<JwksServer> {
  let fetches = 0
  const server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end()
      return
    }
    fetches += 1
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    fetches: () => fetches,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error === undefined ? resolve() : reject(error)))
      }),
  }
}

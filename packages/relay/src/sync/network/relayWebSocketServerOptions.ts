import type { ServerOptions } from 'ws'
import { RELAY_NETWORK_DEFAULTS } from './relayNetworkDefaults.ts'

/**
 * The `ws` server options the relay's sync endpoint needs; spread them into the options of
 * the `WebSocketServer` that hands sockets to `RelayNetworkAdapter.accept`:
 * `new WebSocketServer({ noServer: true, ...relayWebSocketServerOptions() })`.
 *
 * - `maxPayload`: ws refuses a frame above it before buffering it, closing with 1009
 *   (message too big); without it ws buffers up to 100 MiB per frame.
 * - `perMessageDeflate: false`: compression costs CPU per frame and memory per connection,
 *   and row sync messages are small.
 * @param options.maxFrameBytes - largest frame accepted; default 8 MiB (pass the same value
 *   to the adapter, which checks it again)
 */
export function relayWebSocketServerOptions(
  options: { maxFrameBytes?: number } = {},
): Pick<ServerOptions, 'maxPayload' | 'perMessageDeflate'> {
  return {
    maxPayload: options.maxFrameBytes ?? RELAY_NETWORK_DEFAULTS.maxFrameBytes,
    perMessageDeflate: false,
  }
}

import type { Writable } from 'node:stream'

/**
 * Writes a chunk to a stream, respecting backpressure.
 * @returns true once written or buffered below the sink's mark; when the sink is full, resolves
 *   on `drain` (true) or `close` (false); false at once for a destroyed sink
 */
export async function writeChunk(sink: Writable, chunk: Uint8Array): Promise<boolean> {
  if (sink.destroyed) return false
  if (sink.write(chunk)) return true
  return new Promise((resolve) => {
    const settle = (written: boolean) => () => {
      sink.off('drain', onDrain)
      sink.off('close', onClose)
      resolve(written)
    }
    const onDrain = settle(true)
    const onClose = settle(false)
    sink.once('drain', onDrain)
    sink.once('close', onClose)
  })
}

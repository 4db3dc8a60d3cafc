import { readFile } from 'node:fs/promises'
import { ConfigError } from './ConfigError.ts'
import { parseRelayConfig } from './parseRelayConfig.ts'
import type { RelayConfig } from './RelayConfig.ts'

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * Reads a JSON relay config file and returns it validated, with defaults applied (see
 * `parseRelayConfig`).
 * @param file - the path of the config file
 * @throws {ConfigError} when the file cannot be read, is not JSON, or is invalid; its
 *   `issues` name every bad key
 */
export async function loadRelayConfig(file: string): Promise<RelayConfig> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new ConfigError(file, [{ path: '', message: `cannot read it: ${reasonOf(error)}` }], {
      cause: error,
    })
  }
  let input: unknown
  try {
    // Editors on Windows may save a byte order mark, which JSON.parse refuses.
    input = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch (error) {
    throw new ConfigError(file, [{ path: '', message: `not valid JSON: ${reasonOf(error)}` }], {
      cause: error,
    })
  }
  const result = parseRelayConfig(input)
  if (!result.ok) throw new ConfigError(file, result.issues)
  return result.config
}

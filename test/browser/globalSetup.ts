import { build } from 'vite'
import { appConfigFile } from './harness.ts'

/** Builds the example app once for every browser test file; the relay serves the result. */
export default async function buildApp(): Promise<void> {
  await build({ configFile: appConfigFile, logLevel: 'error' })
}

export { ConfigError, type ConfigIssue } from './config/ConfigError.ts'
export { defaultLimits } from './config/defaultLimits.ts'
export { exampleConfig } from './config/exampleConfig.ts'
export { loadRelayConfig } from './config/loadRelayConfig.ts'
export { parseRelayConfig, type RelayConfigResult } from './config/parseRelayConfig.ts'
export type {
  RelayAuthConfig,
  RelayConfig,
  RelayConfigFile,
  RelayDemoConfig,
  RelayLimits,
} from './config/RelayConfig.ts'
export { syncIntervalBounds } from './config/syncIntervalBounds.ts'
export { startRelay } from './startRelay.ts'

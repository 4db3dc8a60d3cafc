export { exchange } from './exchange.ts'
export { runStorageConformance } from './runStorageConformance.ts'

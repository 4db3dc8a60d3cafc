export {
  openDatabase,
  Database,
  type DeleteResolution,
  type ImportResult,
  type OpenDatabaseOptions,
} from './Database.ts'
export { silentLogger, type Logger } from './Logger.ts'
export type { Condition, OrderBy, Query, Where } from './query/Query.ts'
export { RowExistsError } from './RowExistsError.ts'
export { RowNotFoundError } from './RowNotFoundError.ts'
export { MemoryStorageAdapter } from './storage/MemoryStorageAdapter.ts'
export { Table, type InsertOptions, type Row } from './Table.ts'
export { RelayError, type TokenSource } from './sync/RelayHttp.ts'
export { startSync, Sync, type SyncOptions } from './sync/Sync.ts'
export type {
  ConnectionState,
  SyncError,
  SyncProgress,
  SyncStatus,
  TableProgress,
} from './sync/SyncStatus.ts'

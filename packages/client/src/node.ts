export { LmdbStorageAdapter } from './storage/LmdbStorageAdapter.ts'

export { checkFieldValue, type FieldCheck } from './checkFieldValue.ts'
export { defineSchema } from './defineSchema.ts'
export { describeValue } from './describeValue.ts'
export { parseSchema, type SchemaResult } from './parseSchema.ts'
export { isRowId, rowDocumentId, toRowId, type RowDocumentId, type RowId } from './rowDocumentId.ts'
export {
  fieldTypes,
  type DeletePolicy,
  type FieldDefinition,
  type FieldSchema,
  type FieldType,
  type FieldValue,
  type MergePolicy,
  type RowOf,
  type RowValues,
  type Schema,
  type SchemaDefinition,
  type TableDefinition,
  type TableName,
  type TableSchema,
} from './Schema.ts'
export { SchemaError, type SchemaIssue } from './SchemaError.ts'
export { ValidationError } from './ValidationError.ts'
export {
  validateRow,
  type ValidationIssue,
  type ValidationMode,
  type ValidationResult,
} from './validateRow.ts'
export { ChangeGraph } from './rows/ChangeGraph.ts'
export {
  changeOptions,
  readChangeMetadata,
  type ChangeKind,
  type ChangeMetadata,
} from './rows/ChangeMetadata.ts'
export {
  describeConflicts,
  type Conflict,
  type ConflictValue,
  type DeleteConflict,
  type FieldConflict,
  type Writer,
} from './rows/describeConflicts.ts'
export { concurrentValues, editsConcurrentWithDelete, projectRow } from './rows/projectRow.ts'
export {
  isMetaKey,
  readStoredValue,
  toStoredValue,
  writeValues,
  type RowDocument,
} from './rows/RowDocument.ts'
export { rowHistory, type FieldChange, type HistoryEvent } from './rows/rowHistory.ts'
export type { ProjectionResult, RowProjection } from './rows/RowProjection.ts'
export { rowSkeleton, skeletonMessage } from './rows/rowSkeleton.ts'
export { canRead } from './permissions/canRead.ts'
export { canWrite } from './permissions/canWrite.ts'
export {
  parsePermissionRules,
  type PermissionRulesResult,
} from './permissions/parsePermissionRules.ts'
export type {
  Access,
  PermissionRules,
  RoleGrant,
  RowScope,
  TableGrant,
} from './permissions/PermissionRules.ts'
export { readableTables } from './permissions/readableTables.ts'
export type { UserIdentity } from './permissions/UserIdentity.ts'
export {
  documentStream,
  DocumentStreamError,
  DocumentStreamReader,
  type DocumentRecord,
  type DocumentStreamHeader,
  type DocumentStreamItem,
} from './protocol/documentStream.ts'
export {
  relayLimits,
  relayPaths,
  rowsyncPeerMetadata,
  uploaderPeerHeader,
  type DocumentsRequest,
  type FeedBody,
  type FeedEntryBody,
  type FeedLeftEntry,
  type FeedRowEntry,
  type ProfileBody,
  type RelayChangesMessage,
  type UploadResponse,
  type UploadResult,
} from './protocol/relayProtocol.ts'
export { sameHeads } from './rows/sameHeads.ts'

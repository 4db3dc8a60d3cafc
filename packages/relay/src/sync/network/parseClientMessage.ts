import { Automerge, cbor, isValidDocumentId } from '@automerge/automerge-repo/slim'
import type {
  PeerId,
  PeerMetadata,
  RepoMessage,
  SessionId,
  StorageId,
} from '@automerge/automerge-repo/slim'

/**
 * automerge-repo's peer metadata, plus `rowsync`: the Rowsync protocol version a device speaks
 * (`rowsyncPeerMetadata` in @rowsync/schema); absent for stock clients.
 */
export interface RelayPeerMetadata extends PeerMetadata {
  readonly rowsync?: number
}

/** The first message of a client (automerge-repo-network-websocket's JoinMessage). */
export interface JoinMessage {
  readonly type: 'join'
  readonly senderId: PeerId
  readonly peerMetadata: RelayPeerMetadata
  /** Undefined from old clients, which speak version 1. */
  readonly supportedProtocolVersions: readonly string[] | undefined
}

/** A message a client may send: join, then automerge-repo's messages. */
export type ClientMessage = JoinMessage | RepoMessage

/** What {@link parseClientMessage} makes of a frame. */
export type ParsedClientMessage =
  | { readonly ok: true; readonly message: ClientMessage }
  | { readonly ok: false; readonly reason: string }

/** Peer ids, session ids and storage ids are short; stock ones are 15 to 36 characters. */
const MAX_ID_LENGTH = 128
/** Storage ids are UUIDs in automerge-repo; they become storage key components. */
const STORAGE_ID = /^[A-Za-z0-9_-]{1,128}$/
const MAX_PROTOCOL_VERSIONS = 16
const MAX_LIST_LENGTH = 1024
const MAX_HEADS_ENTRIES = 64

/**
 * Decodes and validates one binary frame from an untrusted client. Never throws: anything
 * that is not CBOR, not a plain map, or not one of the known message shapes with fields of
 * the right types (document ids that automerge-repo accepts, sync data that Automerge can
 * decode) comes back as `{ ok: false, reason }`. A valid message comes back rebuilt from its
 * known fields only, so unknown fields never reach the Repo or get gossiped to other peers.
 * @param frame - the frame's bytes
 */
export function parseClientMessage(frame: Uint8Array): ParsedClientMessage {
  let decoded: unknown
  try {
    decoded = cbor.decode(frame)
  } catch (error) {
    return failure(`not CBOR (${describe(error)})`)
  }
  try {
    return parseDecoded(decoded)
  } catch (error) {
    // The checks below do not throw; this only guards against surprises in decoded values
    // (getters, proxies), so that no frame can throw out of a socket callback.
    return failure(`unreadable (${describe(error)})`)
  }
}

function parseDecoded(value: unknown): ParsedClientMessage {
  if (!isRecord(value)) return failure('not a CBOR map')
  const { type, senderId } = value
  if (typeof type !== 'string') return failure('type is not a string')
  if (!isId(senderId)) return failure(`${type}: senderId is not a peer id`)
  if (type === 'join') return parseJoin(value, senderId as PeerId)
  const { targetId } = value
  if (!isId(targetId)) return failure(`${type}: targetId is not a peer id`)
  const envelope = { senderId: senderId as PeerId, targetId: targetId as PeerId }
  switch (type) {
    case 'sync':
    case 'request': {
      const { documentId, data } = value
      if (!isValidDocumentId(documentId)) return failure(`${type}: invalid documentId`)
      if (!isBytes(data)) return failure(`${type}: data is not a non-empty byte string`)
      try {
        Automerge.decodeSyncMessage(data)
      } catch (error) {
        return failure(`${type}: data is not an Automerge sync message (${describe(error)})`)
      }
      return success({ type, ...envelope, documentId, data })
    }
    case 'ephemeral': {
      const { documentId, data, count, sessionId } = value
      if (!isValidDocumentId(documentId)) return failure('ephemeral: invalid documentId')
      if (!isBytes(data)) return failure('ephemeral: data is not a non-empty byte string')
      if (!Number.isSafeInteger(count) || (count as number) < 0) {
        return failure('ephemeral: count is not a non-negative integer')
      }
      if (!isId(sessionId)) return failure('ephemeral: sessionId is not an id')
      // The Repo decodes ephemeral data as CBOR; garbage would only make it log an error.
      try {
        cbor.decode(data)
      } catch (error) {
        return failure(`ephemeral: data is not CBOR (${describe(error)})`)
      }
      return success({
        type,
        ...envelope,
        documentId,
        data,
        count: count as number,
        sessionId: sessionId as SessionId,
      })
    }
    case 'doc-unavailable': {
      const { documentId } = value
      if (!isValidDocumentId(documentId)) return failure('doc-unavailable: invalid documentId')
      return success({ type, ...envelope, documentId })
    }
    case 'remote-subscription-change': {
      const { add, remove } = value
      if (add !== undefined && !isStorageIdList(add)) {
        return failure('remote-subscription-change: add is not a list of storage ids')
      }
      if (remove !== undefined && !isStorageIdList(remove)) {
        return failure('remote-subscription-change: remove is not a list of storage ids')
      }
      return success({
        type,
        ...envelope,
        ...(add === undefined ? {} : { add }),
        ...(remove === undefined ? {} : { remove }),
      })
    }
    case 'remote-heads-changed': {
      const { documentId, newHeads } = value
      if (!isValidDocumentId(documentId)) {
        return failure('remote-heads-changed: invalid documentId')
      }
      const heads = parseNewHeads(newHeads)
      if (heads === undefined) return failure('remote-heads-changed: newHeads is malformed')
      return success({ type, ...envelope, documentId, newHeads: heads })
    }
    default:
      return failure(`unknown message type ${JSON.stringify(type.slice(0, 40))}`)
  }
}

function parseJoin(value: Record<string, unknown>, senderId: PeerId): ParsedClientMessage {
  const { peerMetadata, supportedProtocolVersions } = value
  let metadata: RelayPeerMetadata = {}
  if (peerMetadata !== undefined && peerMetadata !== null) {
    if (!isRecord(peerMetadata)) return failure('join: peerMetadata is not a map')
    const { storageId, isEphemeral, rowsync } = peerMetadata
    if (storageId !== undefined && !isStorageId(storageId)) {
      return failure('join: peerMetadata.storageId is not a storage id')
    }
    if (isEphemeral !== undefined && typeof isEphemeral !== 'boolean') {
      return failure('join: peerMetadata.isEphemeral is not a boolean')
    }
    if (rowsync !== undefined && !(Number.isSafeInteger(rowsync) && (rowsync as number) > 0)) {
      return failure('join: peerMetadata.rowsync is not a protocol version')
    }
    metadata = {
      ...(storageId === undefined ? {} : { storageId }),
      ...(isEphemeral === undefined ? {} : { isEphemeral }),
      ...(rowsync === undefined ? {} : { rowsync: rowsync as number }),
    }
  }
  if (
    supportedProtocolVersions !== undefined &&
    !(
      Array.isArray(supportedProtocolVersions) &&
      supportedProtocolVersions.length <= MAX_PROTOCOL_VERSIONS &&
      supportedProtocolVersions.every((version) => isId(version))
    )
  ) {
    return failure('join: supportedProtocolVersions is not a list of versions')
  }
  return success({
    type: 'join',
    senderId,
    peerMetadata: metadata,
    supportedProtocolVersions,
  })
}

type NewHeads = { [key: StorageId]: { heads: string[]; timestamp: number } }

function parseNewHeads(value: unknown): NewHeads | undefined {
  if (!isRecord(value)) return undefined
  const entries = Object.entries(value)
  if (entries.length > MAX_HEADS_ENTRIES) return undefined
  const result: NewHeads = {}
  for (const [storageId, entry] of entries) {
    if (!isStorageId(storageId) || !isRecord(entry)) return undefined
    const { heads, timestamp } = entry
    if (!Array.isArray(heads) || heads.length > MAX_LIST_LENGTH) return undefined
    if (!heads.every((head) => isId(head))) return undefined
    if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) return undefined
    result[storageId] = { heads: [...heads], timestamp }
  }
  return result
}

/** A plain CBOR map decoded as an object (not an array, byte string, Map, Set or Date). */
function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const prototype: unknown = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH
}

function isStorageId(value: unknown): value is StorageId {
  return typeof value === 'string' && STORAGE_ID.test(value)
}

function isStorageIdList(value: unknown): value is StorageId[] {
  return Array.isArray(value) && value.length <= MAX_LIST_LENGTH && value.every(isStorageId)
}

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.byteLength > 0
}

function success(message: ClientMessage): ParsedClientMessage {
  return { ok: true, message }
}

function failure(reason: string): ParsedClientMessage {
  return { ok: false, reason }
}

function describe(error: unknown): string {
  return error instanceof Error ? String(error.message).slice(0, 120) : 'not an Error'
}

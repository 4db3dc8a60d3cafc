import type * as Automerge from '@automerge/automerge'

/** The kinds of local operation a change can record. */
export type ChangeKind = 'insert' | 'update' | 'increment' | 'delete' | 'resolve'

/** Who made a change and when, stored as the Automerge change message. */
export interface ChangeMetadata {
  readonly user: string
  readonly device: string
  /** Milliseconds since the epoch on the writing device's clock. */
  readonly time: number
  readonly kind: ChangeKind
}

const kinds = new Set<string>(['insert', 'update', 'increment', 'delete', 'resolve'])

/**
 * Encodes metadata as Automerge change options (message plus time in seconds).
 * @param metadata - who, when and what
 */
export function changeOptions(metadata: ChangeMetadata): { message: string; time: number } {
  return {
    message: JSON.stringify({
      u: metadata.user,
      d: metadata.device,
      t: metadata.time,
      k: metadata.kind,
    }),
    time: Math.floor(metadata.time / 1000),
  }
}

/**
 * Reads the metadata of a decoded change; changes made elsewhere without Rowsync metadata
 * report an unknown user and device and the change's own time.
 * @param change - a decoded Automerge change
 */
export function readChangeMetadata(change: Automerge.DecodedChange): ChangeMetadata {
  const fallback: ChangeMetadata = {
    user: 'unknown',
    device: 'unknown',
    time: change.time * 1000,
    kind: 'update',
  }
  if (!change.message) return fallback
  try {
    const parsed = JSON.parse(change.message) as Record<string, unknown>
    return {
      user: typeof parsed.u === 'string' ? parsed.u : fallback.user,
      device: typeof parsed.d === 'string' ? parsed.d : fallback.device,
      time: typeof parsed.t === 'number' ? parsed.t : fallback.time,
      kind:
        typeof parsed.k === 'string' && kinds.has(parsed.k)
          ? (parsed.k as ChangeKind)
          : fallback.kind,
    }
  } catch {
    return fallback
  }
}

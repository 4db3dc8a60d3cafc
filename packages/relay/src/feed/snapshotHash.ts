import { createHash } from 'node:crypto'

/**
 * The storage key hash automerge-repo gives a snapshot saved at these heads (sha256 of the hex
 * heads concatenated, in `Automerge.getHeads` order): `[documentId, 'snapshot', hash]`.
 * @param heads - the document's heads, as `Automerge.getHeads` returns them
 */
export function snapshotHash(heads: readonly string[]): string {
  return createHash('sha256').update(heads.join('')).digest('hex')
}

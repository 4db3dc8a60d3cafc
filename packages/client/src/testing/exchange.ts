import type { Database } from '../Database.ts'

/**
 * Brings two databases to the same state by sending each the row documents whose heads
 * differ: the in-memory stand-in for a relay in tests.
 * @param a - one device's database
 * @param b - another device's database
 * @throws {Error} when either side refuses the other's document
 */
export async function exchange(a: Database, b: Database): Promise<void> {
  const documentIds = new Set([...a.documentIds(), ...b.documentIds()])
  for (const documentId of documentIds) {
    if (a.heads(documentId)?.join() === b.heads(documentId)?.join()) continue
    await send(a, b, documentId)
    await send(b, a, documentId)
  }
}

async function send(from: Database, to: Database, documentId: string): Promise<void> {
  const bytes = await from.exportDocument(documentId)
  if (!bytes) return
  const result = await to.importDocument(documentId, bytes)
  if (!result.ok) throw new Error(`exchange of ${documentId} refused: ${result.reason}`)
}

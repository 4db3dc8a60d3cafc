/**
 * Whether two lists of Automerge heads name the same document state (the same hashes, in any
 * order); an absent list is no state.
 */
export function sameHeads(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((head) => b.includes(head))
}

import * as Automerge from '@automerge/automerge'

/**
 * The decoded changes of one row document with their causal order, for questions the current
 * state cannot answer: who wrote a concurrent value, which edits are concurrent with a delete,
 * what each change did. Rows have short histories, so this is built on demand.
 */
export class ChangeGraph {
  /** Every change in causal order (dependencies first). */
  readonly changes: readonly Automerge.DecodedChange[]
  readonly #byHash = new Map<string, Automerge.DecodedChange>()
  readonly #ancestors = new Map<string, Set<string>>()

  /** @param doc - the row document */
  constructor(doc: Automerge.Doc<unknown>) {
    this.changes = Automerge.getAllChanges(doc).map((change) => Automerge.decodeChange(change))
    for (const change of this.changes) this.#byHash.set(change.hash, change)
  }

  /**
   * The change that created an operation.
   * @param opId - an Automerge operation id, `counter@actor`
   */
  changeOfOperation(opId: string): Automerge.DecodedChange | undefined {
    const at = opId.indexOf('@')
    const counter = Number(opId.slice(0, at))
    const actor = opId.slice(at + 1)
    return this.changes.find(
      (change) =>
        change.actor === actor &&
        counter >= change.startOp &&
        counter < change.startOp + change.ops.length,
    )
  }

  /**
   * Every change that `hash` depends on, directly or not.
   * @param hash - a change hash
   */
  ancestors(hash: string): ReadonlySet<string> {
    const known = this.#ancestors.get(hash)
    if (known) return known
    // An explicit stack, not recursion: a row's history can be thousands of changes deep.
    const result = new Set<string>()
    const stack = [...(this.#byHash.get(hash)?.deps ?? [])]
    for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
      if (result.has(next)) continue
      result.add(next)
      stack.push(...(this.#byHash.get(next)?.deps ?? []))
    }
    this.#ancestors.set(hash, result)
    return result
  }

  /** Whether neither change saw the other. */
  concurrent(a: string, b: string): boolean {
    return a !== b && !this.ancestors(a).has(b) && !this.ancestors(b).has(a)
  }
}

/** One problem found in a schema definition, with the path of the bad key. */
export interface SchemaIssue {
  /** Dotted path of the offending key, e.g. `tables.workOrders.fields.status.values`. */
  readonly path: string
  readonly message: string
}

/** Thrown by `defineSchema` when a definition is invalid; lists every issue found. */
export class SchemaError extends Error {
  override readonly name = 'SchemaError'
  readonly issues: readonly SchemaIssue[]

  constructor(issues: readonly SchemaIssue[]) {
    super(`Invalid schema: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`)
    this.issues = issues
  }
}

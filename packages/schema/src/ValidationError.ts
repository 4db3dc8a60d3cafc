import type { ValidationIssue } from './validateRow.ts'

/** Thrown when row values do not fit the schema; nothing was written. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError'
  readonly issues: readonly ValidationIssue[]

  /**
   * @param operation - what was refused, e.g. `insert into workOrders`
   * @param issues - every issue found
   */
  constructor(operation: string, issues: readonly ValidationIssue[]) {
    super(
      `${operation} refused: ${issues
        .map((issue) => `${issue.field || 'row'}: expected ${issue.expected}, got ${issue.got}`)
        .join('; ')}`,
    )
    this.issues = issues
  }
}

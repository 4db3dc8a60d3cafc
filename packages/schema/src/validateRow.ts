import { checkFieldValue } from './checkFieldValue.ts'
import { describeValue } from './describeValue.ts'
import type { FieldValue, TableSchema } from './Schema.ts'

/** One problem with one field of a row. */
export interface ValidationIssue {
  /** The field name (`''` when the row itself is not an object). */
  readonly field: string
  /** What the field accepts, e.g. `an integer`. */
  readonly expected: string
  /** A short description of what was given. */
  readonly got: string
}

/** The outcome of {@link validateRow}: normalized values, or every issue found. */
export type ValidationResult =
  | { ok: true; values: Record<string, FieldValue> }
  | { ok: false; issues: readonly ValidationIssue[] }

/**
 * What is being validated: `insert` is a new row (defaults filled in, required fields
 * enforced); `update` is a partial change (counters change only by increment); `stored` is a
 * whole row read from a document (required fields enforced, no defaults).
 */
export type ValidationMode = 'insert' | 'update' | 'stored'

/**
 * Validates untrusted row values against a table and returns the values to store or every
 * issue (field, expected, got). Never throws.
 * @param table - the table the row belongs to
 * @param input - the values, as given by an app or read from a peer
 * @param mode - see {@link ValidationMode}
 */
export function validateRow(
  table: TableSchema,
  input: unknown,
  mode: ValidationMode,
): ValidationResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return {
      ok: false,
      issues: [{ field: '', expected: 'an object of field values', got: describeValue(input) }],
    }
  }
  const record = input as Record<string, unknown>
  const issues: ValidationIssue[] = []
  const values: Record<string, FieldValue> = {}
  for (const [name, value] of Object.entries(record)) {
    const field = table.fields.get(name)
    if (!field) {
      issues.push({
        field: name,
        expected: `no such field in table ${table.name}`,
        got: describeValue(value),
      })
      continue
    }
    if (mode === 'update' && field.type === 'counter') {
      issues.push({ field: name, expected: 'a change by increment()', got: describeValue(value) })
      continue
    }
    // An undefined value counts as not given: in a new row the required check below reports it.
    if (value === undefined && mode !== 'update') continue
    if (value === null || value === undefined) {
      if (field.required) {
        issues.push({
          field: name,
          expected: 'a value (the field is required)',
          got: describeValue(value),
        })
      } else if (value === null) {
        values[name] = null
      }
      continue
    }
    const check = checkFieldValue(field, value)
    if (check.ok) values[name] = check.value
    else issues.push({ field: name, expected: check.expected, got: describeValue(value) })
  }
  if (mode !== 'update') {
    for (const field of table.fields.values()) {
      if (Object.hasOwn(record, field.name) && record[field.name] !== undefined) continue
      if (mode === 'insert' && field.default !== undefined) values[field.name] = field.default
      else if (field.required) {
        issues.push({
          field: field.name,
          expected: 'a value (the field is required)',
          got: 'nothing',
        })
      }
    }
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, values }
}

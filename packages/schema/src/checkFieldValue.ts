import { isRowId } from './rowDocumentId.ts'
import type { FieldSchema, FieldValue } from './Schema.ts'

/** The outcome of checking one value against one field: the stored form, or what was expected. */
export type FieldCheck = { ok: true; value: FieldValue } | { ok: false; expected: string }

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/
const dateTimePattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/

function isCalendarDate(value: string): boolean {
  const match = datePattern.exec(value)
  if (!match) return false
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const date = new Date(Date.UTC(year, month - 1, day))
  return (
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  )
}

/**
 * Checks a non-null value against a field's type and returns the form it is stored in
 * (datetimes are normalized to UTC ISO strings; `Date` objects are accepted for datetimes).
 * Never throws, whatever the value.
 * @param field - the field the value is for
 * @param value - an untrusted value
 */
export function checkFieldValue(field: FieldSchema, value: unknown): FieldCheck {
  switch (field.type) {
    case 'string':
    case 'text':
      return typeof value === 'string' ? { ok: true, value } : { ok: false, expected: 'a string' }
    case 'reference':
      return isRowId(value)
        ? { ok: true, value }
        : { ok: false, expected: `a row id of table ${field.table ?? '?'}` }
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
        ? { ok: true, value }
        : { ok: false, expected: 'a finite number' }
    case 'integer':
    case 'counter':
      return Number.isSafeInteger(value)
        ? { ok: true, value: value as number }
        : { ok: false, expected: 'an integer' }
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : { ok: false, expected: 'a boolean' }
    case 'date':
      return typeof value === 'string' && isCalendarDate(value)
        ? { ok: true, value }
        : { ok: false, expected: 'a date as YYYY-MM-DD' }
    case 'datetime': {
      const time =
        value instanceof Date
          ? value.getTime()
          : typeof value === 'string' &&
              dateTimePattern.test(value) &&
              isCalendarDate(value.slice(0, 10))
            ? Date.parse(value)
            : Number.NaN
      // Years 0000 to 9999 only: beyond them the UTC form is no longer YYYY-MM-DDTHH:mm...
      const utc = Number.isNaN(time) ? undefined : new Date(time).toISOString()
      return utc === undefined || !dateTimePattern.test(utc)
        ? { ok: false, expected: 'an ISO 8601 date-time with a time zone, years 0000 to 9999' }
        : { ok: true, value: utc }
    }
    case 'choice':
      return typeof value === 'string' && field.values?.includes(value)
        ? { ok: true, value }
        : { ok: false, expected: `one of ${(field.values ?? []).join(', ')}` }
  }
}

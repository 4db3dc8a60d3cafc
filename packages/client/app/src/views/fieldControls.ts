import type { FieldSchema, FieldValue } from '@rowsync/schema'
import { tableOf, type AppDatabase } from '../appSchema.ts'
import { h } from '../dom.ts'

/** An input for one field and how to read a {@link FieldValue} back from it. */
export interface FieldControl {
  readonly element: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement
  read(): FieldValue
  write(value: FieldValue): void
}

/** `2026-03-12T09:30:00.000Z` as the local `2026-03-12T10:30` a datetime-local input shows. */
function toLocalInput(iso: string): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return ''
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000)
  return local.toISOString().slice(0, 16)
}

/**
 * Creates the input a field's type calls for: text, textarea, number, checkbox, date,
 * datetime-local, a select of a choice's values or of the referenced table's rows.
 * @param id - the element id, for its label
 */
export function fieldControl(database: AppDatabase, field: FieldSchema, id: string): FieldControl {
  const common = { id, name: field.name, required: field.required }
  switch (field.type) {
    case 'text': {
      const element = h('textarea', { ...common, rows: 4 })
      return {
        element,
        read: () => (element.value === '' ? null : element.value),
        write: (value) => (element.value = typeof value === 'string' ? value : ''),
      }
    }
    case 'boolean': {
      const element = h('input', { ...common, type: 'checkbox', required: false })
      return {
        element,
        read: () => element.checked,
        write: (value) => (element.checked = value === true),
      }
    }
    case 'number':
    case 'integer':
    case 'counter': {
      const element = h('input', {
        ...common,
        type: 'number',
        step: field.type === 'number' ? 'any' : 1,
        inputmode: field.type === 'number' ? 'decimal' : 'numeric',
      })
      return {
        element,
        read: () => (element.value === '' ? null : Number(element.value)),
        write: (value) => (element.value = typeof value === 'number' ? String(value) : ''),
      }
    }
    case 'datetime': {
      const element = h('input', { ...common, type: 'datetime-local' })
      return {
        element,
        read: () => (element.value === '' ? null : new Date(element.value).toISOString()),
        write: (value) => (element.value = typeof value === 'string' ? toLocalInput(value) : ''),
      }
    }
    case 'choice':
    case 'reference': {
      const options =
        field.type === 'choice'
          ? (field.values ?? []).map((value) => ({ value, label: value }))
          : referenceOptions(database, field.table ?? '')
      const element = h(
        'select',
        common,
        !field.required && h('option', { value: '' }, '— none —'),
        ...options.map(({ value, label }) => h('option', { value }, label)),
      )
      return {
        element,
        read: () => (element.value === '' ? null : element.value),
        write: (value) => {
          const text = typeof value === 'string' ? value : ''
          // A value from another device that this list lacks still shows, as itself.
          if (text !== '' && ![...element.options].some((option) => option.value === text)) {
            element.append(h('option', { value: text }, text))
          }
          element.value = text
        },
      }
    }
    case 'string':
    case 'date': {
      const element = h('input', { ...common, type: field.type === 'date' ? 'date' : 'text' })
      return {
        element,
        read: () => (element.value === '' ? null : element.value),
        write: (value) => (element.value = typeof value === 'string' ? value : ''),
      }
    }
  }
}

/** The rows of a referenced table, labelled by their `name` field when they have one. */
function referenceOptions(
  database: AppDatabase,
  table: string,
): Array<{ value: string; label: string }> {
  if (!database.schema.tables.has(table)) return []
  return tableOf(database, table)
    .query({})
    .map((row) => ({
      value: row.id,
      label: typeof row['name'] === 'string' ? row['name'] : row.id,
    }))
    .sort((a, b) => a.label.localeCompare(b.label))
}

/** A value for people: text as is, booleans as yes/no, nothing as "(empty)". */
export function displayValue(field: FieldSchema | undefined, value: FieldValue): string {
  if (value === null || value === '') return '(empty)'
  if (typeof value === 'boolean') return value ? 'yes' : 'no'
  if (field?.type === 'datetime' && typeof value === 'string') {
    return new Date(value).toLocaleString()
  }
  return String(value)
}

import { ValidationError, type FieldValue } from '@rowsync/schema'
import type { AppContext, View } from '../AppContext.ts'
import { tableOf } from '../appSchema.ts'
import { h, replaceChildren } from '../dom.ts'
import { labelOf } from '../labels.ts'
import { conflictCard } from './conflictCard.ts'
import { fieldControl, type FieldControl } from './fieldControls.ts'
import { historyPanel } from './historyPanel.ts'

/**
 * One work order: a form with every field of the schema, its conflicts and its history;
 * `id` undefined creates a new one.
 */
export function detailView(context: AppContext, id: string | undefined): View {
  const { database } = context
  const table = database.table('workOrders')
  const workOrderFields = [...table.schema.fields.values()]
  const isNew = id === undefined
  const controls = new Map<string, FieldControl>()
  const message = h('p', { class: 'message', role: 'alert' })
  const conflictsRegion = h('div', { class: 'conflicts' })
  const historyRegion = h('div')
  const flaggedFields = new Set<string>()
  let dirty = false

  const fieldRows = workOrderFields.map((field) => {
    const controlId = `field-${field.name}`
    const control = fieldControl(database, field, controlId)
    controls.set(field.name, control)
    const isCounter = field.type === 'counter' && !isNew
    if (isCounter) control.element.setAttribute('readonly', '')
    const step = (by: number) =>
      h(
        'button',
        {
          type: 'button',
          class: 'step',
          'aria-label': `${by > 0 ? 'Add' : 'Remove'} one (${labelOf(field.name)})`,
          onclick: () => {
            if (id === undefined) return
            tableOf(database, 'workOrders').increment(id, field.name, by).catch(showError)
          },
        },
        by > 0 ? '+1' : '−1',
      )
    return h(
      'div',
      { class: `field field-${field.type}`, 'data-field': field.name },
      h(
        'label',
        { for: controlId },
        labelOf(field.name),
        field.required && h('span', { class: 'required', 'aria-hidden': 'true' }, ' *'),
        h('span', { class: 'flag', hidden: true }, ' ⚠ conflict'),
      ),
      isCounter
        ? h('div', { class: 'counter' }, control.element, step(-1), step(1))
        : control.element,
    )
  })

  function showError(error: unknown): void {
    message.textContent =
      error instanceof ValidationError
        ? error.issues
            .map((issue) => `${labelOf(issue.field)}: expected ${issue.expected}`)
            .join('; ')
        : error instanceof Error
          ? error.message
          : String(error)
  }

  const fill = (): void => {
    const row = id === undefined ? undefined : table.get(id)
    for (const field of workOrderFields) {
      const value: FieldValue | undefined = row
        ? (row as Record<string, FieldValue>)[field.name]
        : field.name === 'technician'
          ? context.session.user
          : field.default
      controls.get(field.name)?.write(value ?? null)
    }
    title.textContent = isNew ? 'New work order' : (row?.title ?? 'Deleted work order')
    form.hidden = !isNew && row === undefined
  }

  const refreshPanels = async (): Promise<void> => {
    if (id === undefined) return
    const [conflicts, history] = await Promise.all([
      database.conflicts('workOrders'),
      database.history('workOrders', id),
    ])
    const mine = conflicts.filter((conflict) => conflict.id === id)
    flaggedFields.clear()
    for (const conflict of mine) if (conflict.kind === 'field') flaggedFields.add(conflict.field)
    for (const row of fieldRows) {
      const flagged = flaggedFields.has(row.dataset['field'] ?? '')
      row.classList.toggle('flagged', flagged)
      const flag = row.querySelector<HTMLElement>('.flag')
      if (flag) flag.hidden = !flagged
    }
    replaceChildren(
      conflictsRegion,
      mine.length > 0 && h('h2', {}, 'Conflicts to resolve'),
      ...mine.map((conflict, index) => conflictCard(context, conflict, index)),
    )
    replaceChildren(historyRegion, historyPanel(table.schema, history))
  }

  const save = async (): Promise<void> => {
    message.textContent = ''
    const values: Record<string, FieldValue> = {}
    for (const field of workOrderFields) {
      if (field.type === 'counter' && !isNew) continue
      values[field.name] = controls.get(field.name)?.read() ?? null
    }
    if (isNew) {
      const row = await table.insert(values)
      dirty = false
      context.navigate(`#/orders/${encodeURIComponent(row.id)}`)
      return
    }
    const current = table.get(id) as Record<string, FieldValue> | undefined
    // Only what changed: writing a field again would compete with other devices' edits of it.
    const changed = Object.fromEntries(
      Object.entries(values).filter(([field, value]) => current?.[field] !== value),
    )
    if (Object.keys(changed).length > 0) await table.update(id, changed)
    dirty = false
    fill()
    status.textContent = 'Saved on this device.'
  }

  const status = h('p', { class: 'saved', role: 'status' })
  const confirmDelete = h(
    'div',
    { class: 'confirm', hidden: true },
    h('span', {}, 'Delete this work order on every device?'),
    h(
      'button',
      {
        type: 'button',
        class: 'danger',
        onclick: () => {
          if (id === undefined) return
          table.delete(id).then(() => context.navigate('#/'), showError)
        },
      },
      'Yes, delete',
    ),
    h('button', { type: 'button', onclick: () => (confirmDelete.hidden = true) }, 'Cancel'),
  )
  const form = h(
    'form',
    {
      class: 'record',
      novalidate: true,
      oninput: () => {
        dirty = true
        status.textContent = ''
      },
      onsubmit: (event: Event) => {
        event.preventDefault()
        save().catch(showError)
      },
    },
    h('div', { class: 'grid' }, ...fieldRows),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, isNew ? 'Create' : 'Save'),
      !isNew &&
        h(
          'button',
          { type: 'button', class: 'danger', onclick: () => (confirmDelete.hidden = false) },
          'Delete',
        ),
      h('a', { class: 'button', href: '#/' }, 'Back to list'),
    ),
    confirmDelete,
    message,
    status,
  )
  const title = h('h1', { id: 'detail-title' })
  const element = h(
    'section',
    { class: 'detail', 'aria-labelledby': 'detail-title' },
    title,
    conflictsRegion,
    form,
    historyRegion,
  )
  fill()
  void refreshPanels()
  const unsubscribe =
    id === undefined
      ? () => {}
      : table.subscribe(id, () => {
          // Another device's change: show it unless the person is in the middle of an edit.
          if (!dirty) fill()
          void refreshPanels()
        })
  return { element, dispose: unsubscribe }
}

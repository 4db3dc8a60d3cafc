import type { Conflict } from '@rowsync/schema'
import type { AppContext } from '../AppContext.ts'
import { formatTime, h } from '../dom.ts'
import { labelOf } from '../labels.ts'
import { displayValue, fieldControl } from './fieldControls.ts'

/**
 * One flagged conflict: every concurrent value with who wrote it and when, a button to keep
 * each, and an input for a new value; or, for a delete conflict, keep deleted or restore.
 */
export function conflictCard(context: AppContext, conflict: Conflict, index: number): HTMLElement {
  const { database } = context
  const message = h('p', { class: 'message', role: 'alert' })
  const run = (action: () => Promise<unknown>) => {
    action().catch((error: unknown) => {
      message.textContent = error instanceof Error ? error.message : String(error)
    })
  }
  if (conflict.kind === 'delete') {
    return h(
      'article',
      { class: 'conflict', 'aria-label': 'Delete conflict' },
      h('h3', {}, 'Deleted on one device while edited on another'),
      h(
        'ul',
        { class: 'writers' },
        ...conflict.edits.map((edit) =>
          h(
            'li',
            {},
            `${edit.user} edited ${edit.fields.map(labelOf).join(', ')} `,
            h('span', { class: 'muted' }, `on ${formatTime(edit.time)}`),
          ),
        ),
      ),
      h(
        'div',
        { class: 'actions' },
        h(
          'button',
          {
            type: 'button',
            onclick: () => run(() => database.resolveDelete('workOrders', conflict.id, 'delete')),
          },
          'Keep deleted',
        ),
        h(
          'button',
          {
            type: 'button',
            onclick: () => run(() => database.resolveDelete('workOrders', conflict.id, 'restore')),
          },
          'Restore the work order',
        ),
      ),
      message,
    )
  }
  const field = database.table('workOrders').schema.fields.get(conflict.field)
  const label = labelOf(conflict.field)
  const newId = `conflict-${index}-${conflict.field}`
  const control = field ? fieldControl(database, field, newId) : undefined
  const resolve = (value: Parameters<typeof database.resolve>[3]) =>
    run(() => database.resolve('workOrders', conflict.id, conflict.field, value))
  const current = conflict.values.find((value) => value.current)
  control?.write(current?.value ?? null)
  // Enabled once the person enters something: until then the control shows the current value.
  const useNew = h(
    'button',
    { type: 'button', disabled: true, onclick: () => control && resolve(control.read()) },
    'Use new value',
  )
  const enable = () => useNew.removeAttribute('disabled')
  control?.element.addEventListener('input', enable)
  control?.element.addEventListener('change', enable)
  return h(
    'article',
    { class: 'conflict', 'aria-label': `Conflict on ${label}`, 'data-field': conflict.field },
    h('h3', {}, `${label}: ${conflict.values.length} concurrent values`),
    h(
      'ul',
      { class: 'values' },
      ...conflict.values.map((value) =>
        h(
          'li',
          {},
          h('strong', { class: 'value' }, displayValue(field, value.value)),
          h(
            'span',
            { class: 'muted' },
            ` by ${value.user} ${
              value.device === database.device
                ? 'on this device'
                : `on another device (${value.device.slice(0, 8)})`
            }, ${formatTime(value.time)}`,
          ),
          value.current && h('span', { class: 'badge' }, 'shown now'),
          h(
            'button',
            { type: 'button', onclick: () => resolve(value.value) },
            `Keep “${displayValue(field, value.value)}”`,
          ),
        ),
      ),
    ),
    control &&
      h(
        'div',
        { class: 'new-value' },
        h('label', { for: newId }, `Or a new ${label.toLowerCase()}`),
        control.element,
        useNew,
      ),
    message,
  )
}

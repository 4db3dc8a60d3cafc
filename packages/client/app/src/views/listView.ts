import type { Where } from '@rowsync/client'
import type { RowOf } from '@rowsync/schema'
import type { AppContext, View } from '../AppContext.ts'
import { h, replaceChildren } from '../dom.ts'
import type { AppSchemaDefinition } from '../appSchema.ts'

type WorkOrder = RowOf<AppSchemaDefinition['tables']['workOrders']>

/** The work orders: search by title, filter by status and technician, open or create one. */
export function listView(context: AppContext): View {
  const table = context.database.table('workOrders')
  const statuses = table.schema.fields.get('status')?.values ?? []
  const filters = { search: '', status: '', mine: false, conflicts: false }
  let conflicted = new Set<string>()

  const body = h('tbody')
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' })
  const render = (): void => {
    const where: Where<WorkOrder> = {}
    if (filters.search !== '') where.title = { contains: filters.search }
    if (filters.status !== '') where.status = filters.status
    if (filters.mine) where.technician = context.session.user
    let rows = table.query({ where, orderBy: ['title'] })
    if (filters.conflicts) rows = rows.filter((row) => conflicted.has(row.id))
    summary.textContent = `${rows.length} of ${table.count()} work orders`
    replaceChildren(
      body,
      ...rows.map((row) =>
        h(
          'tr',
          {},
          h(
            'td',
            {},
            h('a', { href: `#/orders/${encodeURIComponent(row.id)}` }, row.title),
            conflicted.has(row.id) && h('span', { class: 'badge badge-conflict' }, 'Conflict'),
          ),
          h('td', {}, h('span', { class: `badge badge-${row.status}` }, row.status)),
          h('td', { class: 'number' }, row.priority ?? ''),
          h('td', {}, row.technician ?? ''),
          h('td', {}, row.dueDate ?? ''),
        ),
      ),
    )
    if (rows.length === 0) {
      body.append(h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No work orders match.')))
    }
  }
  const refreshConflicts = (): void => {
    void context.database.conflicts('workOrders').then((conflicts) => {
      conflicted = new Set(conflicts.map((conflict) => conflict.id))
      render()
    })
  }

  const search = h('input', {
    id: 'search',
    type: 'search',
    placeholder: 'Title contains…',
    oninput: (event: Event) => {
      filters.search = (event.target as HTMLInputElement).value
      render()
    },
  })
  const status = h(
    'select',
    {
      id: 'status-filter',
      onchange: (event: Event) => {
        filters.status = (event.target as HTMLSelectElement).value
        render()
      },
    },
    h('option', { value: '' }, 'Any status'),
    ...statuses.map((value) => h('option', { value }, value)),
  )
  const checkbox = (id: string, label: string, key: 'mine' | 'conflicts') =>
    h(
      'label',
      { class: 'check', for: id },
      h('input', {
        id,
        type: 'checkbox',
        onchange: (event: Event) => {
          filters[key] = (event.target as HTMLInputElement).checked
          render()
        },
      }),
      label,
    )

  const element = h(
    'section',
    { 'aria-labelledby': 'list-title' },
    h(
      'div',
      { class: 'toolbar' },
      h('h1', { id: 'list-title' }, 'Work orders'),
      h('a', { class: 'button primary', href: '#/orders/new' }, 'New work order'),
    ),
    h(
      'form',
      { class: 'filters', role: 'search', onsubmit: (event: Event) => event.preventDefault() },
      h('div', { class: 'field' }, h('label', { for: 'search' }, 'Search'), search),
      h('div', { class: 'field' }, h('label', { for: 'status-filter' }, 'Status'), status),
      checkbox('mine-filter', 'Assigned to me', 'mine'),
      checkbox('conflict-filter', 'With conflicts', 'conflicts'),
    ),
    summary,
    h(
      'table',
      { class: 'rows' },
      h('caption', { class: 'visually-hidden' }, 'Work orders'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Title'),
          h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col', class: 'number' }, 'Priority'),
          h('th', { scope: 'col' }, 'Technician'),
          h('th', { scope: 'col' }, 'Due'),
        ),
      ),
      body,
    ),
  )
  render()
  refreshConflicts()
  const unsubscribe = table.subscribeQuery({}, refreshConflicts)
  return { element, dispose: unsubscribe }
}

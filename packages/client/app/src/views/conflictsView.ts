import type { AppContext, View } from '../AppContext.ts'
import { h, replaceChildren } from '../dom.ts'
import { conflictCard } from './conflictCard.ts'

/** Every flagged conflict on this device, by work order, each resolvable in place. */
export function conflictsView(context: AppContext): View {
  const { database } = context
  const list = h('div', { class: 'conflict-list' })
  const render = async (): Promise<void> => {
    const conflicts = await database.conflicts('workOrders')
    replaceChildren(
      list,
      conflicts.length === 0 && h('p', { class: 'muted' }, 'No conflicts. Everything agrees.'),
      ...conflicts.map((conflict, index) =>
        h(
          'section',
          { class: 'conflict-row' },
          h(
            'h2',
            {},
            h(
              'a',
              { href: `#/orders/${encodeURIComponent(conflict.id)}` },
              database.table('workOrders').get(conflict.id)?.title ?? conflict.id,
            ),
          ),
          conflictCard(context, conflict, index),
        ),
      ),
    )
  }
  void render()
  const unsubscribe = database.table('workOrders').subscribeQuery({}, () => void render())
  const element = h(
    'section',
    { 'aria-labelledby': 'conflicts-title' },
    h('h1', { id: 'conflicts-title' }, 'Conflicts'),
    h(
      'p',
      { class: 'muted' },
      'Two devices changed the same field while apart. Pick the value to keep, or enter a new one.',
    ),
    list,
  )
  return { element, dispose: unsubscribe }
}

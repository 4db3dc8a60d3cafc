import type { HistoryEvent, TableSchema } from '@rowsync/schema'
import { formatTime, h } from '../dom.ts'
import { labelOf } from '../labels.ts'
import { displayValue } from './fieldControls.ts'

/**
 * A row's history, newest first: who changed which fields, when, from what to what.
 * @param table - the row's table, for how its values read
 */
export function historyPanel(table: TableSchema, events: readonly HistoryEvent[]): HTMLElement {
  const fields = table.fields
  return h(
    'section',
    { class: 'history', 'aria-labelledby': 'history-title' },
    h('h2', { id: 'history-title' }, 'History'),
    events.length === 0
      ? h('p', { class: 'muted' }, 'No changes yet.')
      : h(
          'ol',
          { reversed: true },
          ...[...events]
            .reverse()
            .map((event) =>
              h(
                'li',
                {},
                h(
                  'div',
                  { class: 'history-head' },
                  h('strong', {}, event.user),
                  ` ${event.kind}${event.deleted === true ? ' (deleted)' : ''} · `,
                  h(
                    'time',
                    { datetime: new Date(event.time).toISOString() },
                    formatTime(event.time),
                  ),
                ),
                event.fields.length > 0 &&
                  h(
                    'ul',
                    {},
                    ...event.fields.map((change) =>
                      h(
                        'li',
                        {},
                        `${labelOf(change.field)}: `,
                        h('del', {}, displayValue(fields.get(change.field), change.from)),
                        ' → ',
                        h('ins', {}, displayValue(fields.get(change.field), change.to)),
                      ),
                    ),
                  ),
              ),
            ),
        ),
  )
}

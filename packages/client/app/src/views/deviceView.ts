import type { SyncStatus } from '@rowsync/client'
import type { AppContext, View } from '../AppContext.ts'
import { tableOf } from '../appSchema.ts'
import { formatBytes, formatTime, h, replaceChildren } from '../dom.ts'
import { labelOf } from '../labels.ts'
import { stateLabels } from './statusIndicator.ts'

/** The device status page: rows per table, storage used, pending uploads, sync errors. */
export function deviceView(context: AppContext): View {
  const { database, sync } = context
  const tables = [...database.schema.tables.keys()]
  const storage = h('dd', { 'data-testid': 'storage-used' }, 'Measuring…')
  const facts = h('dl', { class: 'facts' })
  const errors = h('div')

  const render = (status: SyncStatus): void => {
    replaceChildren(
      facts,
      h('dt', {}, 'Signed in as'),
      h('dd', {}, context.session.user),
      h('dt', {}, 'Device'),
      h('dd', { class: 'mono' }, database.device),
      h('dt', {}, 'Storage used'),
      storage,
      h('dt', {}, 'Pending uploads'),
      h('dd', { 'data-testid': 'device-pending' }, String(status.pendingUpload)),
      h('dt', {}, 'Last sync'),
      h('dd', {}, status.lastSyncedAt === undefined ? 'never' : formatTime(status.lastSyncedAt)),
      h('dt', {}, 'Sync'),
      h('dd', {}, status.heldBack ?? stateLabels[status.state]),
    )
    replaceChildren(
      errors,
      h('h2', {}, 'Sync errors'),
      status.errors.length === 0
        ? h('p', { class: 'muted' }, 'None: the relay accepted every change.')
        : h(
            'table',
            { class: 'rows' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, 'Row'),
                h('th', { scope: 'col' }, 'Reason'),
                h('th', { scope: 'col' }, 'When'),
                h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')),
              ),
            ),
            h(
              'tbody',
              {},
              ...status.errors.map((error) =>
                h(
                  'tr',
                  {},
                  h('td', {}, `${error.table}/${error.id}`),
                  h('td', {}, error.reason),
                  h('td', {}, formatTime(error.at)),
                  h(
                    'td',
                    { class: 'actions' },
                    h(
                      'button',
                      { type: 'button', onclick: () => void sync.retry(error.documentId) },
                      'Retry',
                    ),
                    h(
                      'button',
                      {
                        type: 'button',
                        class: 'danger',
                        onclick: () => void sync.discard(error.documentId),
                      },
                      'Discard my change',
                    ),
                  ),
                ),
              ),
            ),
          ),
    )
  }

  const counts = h('tbody')
  const renderCounts = (): void => {
    replaceChildren(
      counts,
      ...tables.map((name) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, labelOf(name)),
          h('td', { class: 'number', 'data-table': name }, tableOf(database, name).count()),
        ),
      ),
    )
  }
  const measure = (): void => {
    if (!('storage' in navigator) || typeof navigator.storage.estimate !== 'function') {
      storage.textContent = 'not reported by this browser'
      return
    }
    navigator.storage.estimate().then(
      ({ usage, quota }) => {
        storage.textContent =
          usage === undefined
            ? 'unknown'
            : `${formatBytes(usage)}${quota === undefined ? '' : ` of ${formatBytes(quota)}`}`
      },
      () => (storage.textContent = 'unknown'),
    )
  }

  render(sync.status)
  renderCounts()
  measure()
  const unsubscribes = [
    sync.subscribe(render),
    ...tables.map((name) =>
      tableOf(database, name).subscribeQuery({}, () => {
        renderCounts()
        measure()
      }),
    ),
  ]
  const element = h(
    'section',
    { 'aria-labelledby': 'device-title' },
    h('h1', { id: 'device-title' }, 'This device'),
    facts,
    h(
      'table',
      { class: 'rows counts' },
      h('caption', {}, 'Rows stored on this device'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Table'),
          h('th', { scope: 'col', class: 'number' }, 'Rows'),
        ),
      ),
      counts,
    ),
    errors,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', onclick: () => void sync.syncNow() }, 'Sync now'),
      h('button', { type: 'button', onclick: () => void context.signOut() }, 'Sign out'),
    ),
  )
  return {
    element,
    dispose: () => {
      for (const unsubscribe of unsubscribes) unsubscribe()
    },
  }
}

import type { SyncStatus } from '@rowsync/client'
import type { AppContext } from '../AppContext.ts'
import { formatTime, h, replaceChildren } from '../dom.ts'

/** The connection states as people read them. */
export const stateLabels: Readonly<Record<SyncStatus['state'], string>> = {
  connected: 'Connected',
  'not-connected': 'Not connected',
  syncing: 'Syncing',
  error: 'Sync error',
}

/**
 * The sync status: a compact line for the header (state, progress, pending uploads, last
 * sync) and a notice for below it that says why sync waits or what failed, when it does.
 */
export function statusIndicator(context: AppContext): {
  element: HTMLElement
  notice: HTMLElement
  dispose(): void
} {
  const element = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' })
  const notice = h('div', { class: 'notice', role: 'status', 'aria-live': 'polite' })
  const render = (status: SyncStatus): void => {
    element.dataset['state'] = status.state
    const progress = status.progress
    replaceChildren(
      element,
      h(
        'span',
        { class: 'status-state', 'data-testid': 'sync-state' },
        h('span', { class: 'dot', 'aria-hidden': 'true' }),
        stateLabels[status.state],
      ),
      progress &&
        h(
          'span',
          { class: 'status-progress' },
          h('progress', {
            max: Math.max(progress.totalRows, 1),
            value: progress.rows,
            'aria-label': `${progress.phase} progress`,
          }),
          ` ${progress.rows.toLocaleString()} of ${progress.totalRows.toLocaleString()} rows`,
        ),
      status.pendingUpload > 0 &&
        h(
          'span',
          { class: 'status-pending', 'data-testid': 'pending-upload' },
          `${status.pendingUpload} pending upload${status.pendingUpload === 1 ? '' : 's'}`,
        ),
      h(
        'span',
        { class: 'status-last', 'data-testid': 'last-sync' },
        status.lastSyncedAt === undefined
          ? 'Never synced'
          : `Last sync ${formatTime(status.lastSyncedAt)}`,
      ),
    )
    const error = status.state === 'error' ? status.lastError : undefined
    notice.hidden = status.heldBack === undefined && error === undefined
    replaceChildren(
      notice,
      status.heldBack !== undefined &&
        h('p', { class: 'notice-held', 'data-testid': 'held-back' }, status.heldBack),
      error !== undefined &&
        h(
          'p',
          { class: 'notice-error' },
          `The last sync failed: ${error}. It is retried by itself.`,
        ),
    )
  }
  render(context.sync.status)
  const unsubscribe = context.sync.subscribe(render)
  return { element, notice, dispose: unsubscribe }
}

// The example app: sign in, then work orders on this device's IndexedDB, synced by the relay.
import './styles.css'
import { IndexedDBStorageAdapter } from '@automerge/automerge-repo-storage-indexeddb'
import { openDatabase, startSync } from '@rowsync/client'
import { BrowserLifecycleSource } from '@rowsync/policies'
import type { AppContext, View } from './AppContext.ts'
import { loadAppSchema } from './appSchema.ts'
import { h, replaceChildren } from './dom.ts'
import { clearSession, loadSession, signIn, tokenProvider, type Session } from './session.ts'
import { conflictsView } from './views/conflictsView.ts'
import { detailView } from './views/detailView.ts'
import { deviceView } from './views/deviceView.ts'
import { listView } from './views/listView.ts'
import { signInView } from './views/signInView.ts'
import { statusIndicator } from './views/statusIndicator.ts'

const root = document.getElementById('app') as HTMLElement
const relay = location.origin

/** One IndexedDB database per user, so signing in as someone else never mixes their rows. */
function storageName(database: string, user: string): string {
  return `rowsync-${database}-${user}`
}

function showSignIn(): void {
  replaceChildren(
    root,
    signInView(async (user) => {
      await start(await signIn(relay, user))
    }),
  )
}

async function start(session: Session): Promise<void> {
  const token = tokenProvider(relay, session)
  const schema = await loadAppSchema(relay, token)
  const database = await openDatabase({
    schema,
    storage: new IndexedDBStorageAdapter(storageName(schema.database, session.user)),
    user: session.user,
  })
  const lifecycle = new BrowserLifecycleSource()
  const sync = startSync(database, { relay, token, lifecycle })
  let view: View | undefined
  const main = h('main', { id: 'main', tabindex: -1 })
  const conflictCount = h('span', { class: 'count', 'data-testid': 'conflict-count' })
  const nav = h(
    'nav',
    { 'aria-label': 'Main' },
    h('a', { href: '#/' }, 'Work orders'),
    h('a', { href: '#/conflicts' }, 'Conflicts', conflictCount),
    h('a', { href: '#/device' }, 'Device'),
  )
  let disposeStatus = (): void => {}
  const context: AppContext = {
    database,
    sync,
    session,
    lifecycle,
    navigate: (hash) => {
      if (location.hash === hash) route()
      else location.hash = hash
    },
    signOut: async () => {
      window.removeEventListener('hashchange', onHashChange)
      view?.dispose()
      disposeStatus()
      unsubscribe()
      await sync.stop()
      lifecycle.close()
      await database.close()
      clearSession()
      showSignIn()
    },
  }
  const status = statusIndicator(context)
  disposeStatus = () => status.dispose()

  const refreshConflictCount = (): void => {
    void database.conflicts().then((conflicts) => {
      conflictCount.textContent = conflicts.length > 0 ? String(conflicts.length) : ''
      conflictCount.hidden = conflicts.length === 0
    })
  }
  const unsubscribe = database.table('workOrders').subscribeQuery({}, refreshConflictCount)
  refreshConflictCount()

  const onHashChange = (): void => route()
  function route(): void {
    view?.dispose()
    const path = location.hash.replace(/^#/, '') || '/'
    const order = /^\/orders\/(.+)$/.exec(path)
    if (path === '/conflicts') view = conflictsView(context)
    else if (path === '/device') view = deviceView(context)
    else if (path === '/orders/new') view = detailView(context, undefined)
    else if (order?.[1] !== undefined) view = detailView(context, decodeURIComponent(order[1]))
    else view = listView(context)
    for (const link of nav.querySelectorAll('a')) {
      const current = link.getAttribute('href') === `#${path === '/' ? '/' : path}`
      if (current) link.setAttribute('aria-current', 'page')
      else link.removeAttribute('aria-current')
    }
    replaceChildren(main, view.element)
    main.focus({ preventScroll: true })
  }
  window.addEventListener('hashchange', onHashChange)

  replaceChildren(
    root,
    h(
      'header',
      { class: 'top' },
      h('a', { class: 'brand', href: '#/' }, 'Rowsync'),
      nav,
      status.element,
      h('span', { class: 'who' }, session.user),
    ),
    status.notice,
    main,
  )
  route()
}

function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return
  navigator.serviceWorker.register('/sw.js').catch(() => {
    // Without a service worker the app still works online; offline starts need the cache.
  })
}

registerServiceWorker()
const remembered = loadSession()
if (remembered === undefined) showSignIn()
else
  start(remembered).catch((error: unknown) => {
    replaceChildren(
      root,
      h('p', { class: 'message', role: 'alert' }, `The app could not start: ${String(error)}`),
    )
  })

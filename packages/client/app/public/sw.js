// The app's service worker: keeps the app's own files so it starts with no network. Data lives
// in IndexedDB (Rowsync's storage), never here; API, token and sync requests are never cached.
const cacheName = 'rowsync-app-v1'
const shell = '/'
const neverCached = ['/v1/', '/demo/', '/sync', '/healthz', '/readyz', '/metrics']

/** The shell and every file index.html names (the built script and stylesheet). */
async function precache() {
  const cache = await caches.open(cacheName)
  const response = await fetch(shell, { cache: 'no-cache' })
  if (!response.ok) return
  const html = await response.clone().text()
  await cache.put(shell, response)
  const files = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1])
  await cache.addAll(files)
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()))
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(names.filter((n) => n !== cacheName).map((n) => caches.delete(n))),
      )
      .then(() => self.clients.claim()),
  )
})

self.addEventListener('fetch', (event) => {
  const request = event.request
  const url = new URL(request.url)
  if (request.method !== 'GET' || url.origin !== self.location.origin) return
  if (neverCached.some((prefix) => url.pathname.startsWith(prefix))) return
  if (request.mode === 'navigate') {
    // Network first, so a new release shows at once; the cached shell when offline.
    event.respondWith(
      fetch(request)
        .then((response) => {
          const copy = response.clone()
          if (response.ok) void caches.open(cacheName).then((cache) => cache.put(shell, copy))
          return response
        })
        .catch(() => caches.match(shell).then((cached) => cached ?? Response.error())),
    )
    return
  }
  // Built assets are content-hashed, so a cached copy is always the right one.
  event.respondWith(
    caches.match(request).then(
      (cached) =>
        cached ??
        fetch(request).then((response) => {
          const copy = response.clone()
          if (response.ok && url.pathname.startsWith('/assets/')) {
            void caches.open(cacheName).then((cache) => cache.put(request, copy))
          }
          return response
        }),
    ),
  )
})

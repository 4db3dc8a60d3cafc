/** A signed-in demo user as this browser remembers them, so the app starts offline. */
export interface Session {
  readonly user: string
  /** The last token the relay gave; used when a fresh one cannot be fetched. */
  readonly token: string
}

const storageKey = 'rowsync.session'

/** The demo users of the example relay (`exampleConfig`), with what they may do. */
export const demoUsers = [
  { id: 'dana', description: 'dispatcher: writes every work order' },
  { id: 'tom', description: 'technician: writes his own work orders' },
  { id: 'tina', description: 'technician: writes her own work orders' },
  { id: 'ada', description: 'auditor: reads everything' },
] as const

/** The remembered session, or `undefined` before the first sign-in. */
export function loadSession(): Session | undefined {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(storageKey) ?? 'null')
    if (typeof value !== 'object' || value === null) return undefined
    const { user, token } = value as Record<string, unknown>
    return typeof user === 'string' && typeof token === 'string' ? { user, token } : undefined
  } catch {
    return undefined
  }
}

/** Forgets the session (sign-out); the user's rows stay in IndexedDB. */
export function clearSession(): void {
  localStorage.removeItem(storageKey)
}

/**
 * Gets a demo token for `user` from the relay (demo mode only) and remembers the session.
 * @throws {Error} naming the relay's answer when it refuses or cannot be reached
 */
export async function signIn(relay: string, user: string): Promise<Session> {
  const token = await fetchToken(relay, user)
  const session = { user, token }
  localStorage.setItem(storageKey, JSON.stringify(session))
  return session
}

/**
 * A token provider for sync: a fresh token from the relay on every call (a demo relay's
 * secret changes when it restarts), the remembered one when the relay cannot be reached.
 */
export function tokenProvider(relay: string, session: Session): () => Promise<string> {
  let latest = session.token
  return async () => {
    try {
      latest = await fetchToken(relay, session.user)
      localStorage.setItem(storageKey, JSON.stringify({ user: session.user, token: latest }))
    } catch {
      // Offline or relay down: the sync engine will fail to connect and retry by itself.
    }
    return latest
  }
}

async function fetchToken(relay: string, user: string): Promise<string> {
  const response = await fetch(new URL('/demo/token', relay), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user }),
  })
  const body = (await response.json().catch(() => ({}))) as { token?: unknown; error?: unknown }
  if (!response.ok || typeof body.token !== 'string') {
    const reason = typeof body.error === 'string' ? body.error : `HTTP ${response.status}`
    throw new Error(`sign-in as ${user} failed: ${reason}`)
  }
  return body.token
}

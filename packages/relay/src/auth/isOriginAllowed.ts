/**
 * Decides whether a request's `Origin` may use the relay. A missing Origin is allowed: only
 * browsers send one, and other clients (devices, scripts, probes) authenticate by token
 * alone. A browser's Origin must equal an allowlist entry exactly (`https://app.example.com`,
 * scheme and port included, no trailing slash), unless the allowlist contains `*`.
 * @param origin - the request's `Origin` header, if any
 * @param allowlist - allowed origins; `['*']` allows every origin
 * @returns whether the request may proceed
 */
export function isOriginAllowed(origin: string | undefined, allowlist: readonly string[]): boolean {
  if (origin === undefined) return true
  return allowlist.includes('*') || allowlist.includes(origin)
}

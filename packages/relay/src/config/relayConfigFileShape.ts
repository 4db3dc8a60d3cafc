import { z } from 'zod'
import { defaultLimits } from './defaultLimits.ts'
import type { RelayLimits } from './RelayConfig.ts'
import { syncIntervalBounds } from './syncIntervalBounds.ts'

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]'])

function limit(name: keyof RelayLimits) {
  return z
    .int({ error: `expected a whole number of at least 1 (default ${defaultLimits[name]})` })
    .min(1, { error: `expected a whole number of at least 1 (default ${defaultLimits[name]})` })
    .default(defaultLimits[name])
}

/** Whether a string is a browser origin exactly as a browser sends it in the Origin header. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value)
    // Wildcard hosts (`https://*.example.com`) parse as URLs but no browser sends one.
    return (
      (url.protocol === 'https:' || url.protocol === 'http:') &&
      url.origin === value &&
      !value.includes('*')
    )
  } catch {
    return false
  }
}

function isJwksUrl(value: string): boolean {
  try {
    const url = new URL(value)
    // Keys fetched over plain http could be swapped on the way, letting anyone forge tokens.
    return (
      url.protocol === 'https:' || (url.protocol === 'http:' && loopbackHosts.has(url.hostname))
    )
  } catch {
    return false
  }
}

const origin = z.string().refine((value) => value === '*' || isOrigin(value), {
  error: (issue) =>
    `expected an origin like https://app.example.com (scheme, host, optional port; no path or trailing slash), got ${JSON.stringify(issue.input)}`,
})

/**
 * The zod shape of the parts of a config file that zod checks; `schema` and `permissions` are
 * checked by `parseSchema` and `parsePermissionRules`, and cross-references by
 * `parseRelayConfig`.
 */
export const relayConfigFileShape = z.strictObject({
  schema: z.unknown().optional(),
  permissions: z.unknown().optional(),
  syncIntervalMinutes: z
    .record(
      z.string(),
      z
        .int({ error: 'expected a whole number of minutes' })
        .min(syncIntervalBounds.min, {
          error: `expected ${syncIntervalBounds.min} to ${syncIntervalBounds.max} minutes`,
        })
        .max(syncIntervalBounds.max, {
          error: `expected ${syncIntervalBounds.min} to ${syncIntervalBounds.max} minutes`,
        }),
    )
    .default({}),
  origins: z
    .array(origin)
    .refine((origins) => !origins.includes('*') || origins.length === 1, {
      error: 'use ["*"] alone to allow every origin, or list the origins',
    })
    .default([]),
  auth: z
    .strictObject({
      jwksUrl: z
        .string()
        .refine(isJwksUrl, { error: 'expected an https URL (http only on localhost)' })
        .optional(),
      issuer: z.string().min(1).optional(),
      audience: z.string().min(1).optional(),
    })
    .default({}),
  demo: z
    .strictObject({
      enabled: z.boolean().default(false),
      users: z
        .array(
          z.strictObject({
            id: z.string().min(1, { error: 'expected a user id' }).max(128),
            roles: z.array(z.string()),
          }),
        )
        .default([]),
    })
    .prefault({}),
  limits: z
    .strictObject({
      maxFrameBytes: limit('maxFrameBytes'),
      messagesPerSecondPerPeer: limit('messagesPerSecondPerPeer'),
      bytesPerSecondPerPeer: limit('bytesPerSecondPerPeer'),
      peersPerUser: limit('peersPerUser'),
      loadedDocuments: limit('loadedDocuments'),
      unknownDocumentsPerMinute: limit('unknownDocumentsPerMinute'),
      maxConnections: limit('maxConnections'),
    })
    .prefault({}),
})

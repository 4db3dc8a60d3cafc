import { parsePermissionRules, parseSchema } from '@rowsync/schema'
import type { PermissionRules, Schema } from '@rowsync/schema'
import type { z } from 'zod'
import type { ConfigIssue } from './ConfigError.ts'
import type { RelayConfig } from './RelayConfig.ts'
import { relayConfigFileShape } from './relayConfigFileShape.ts'
import { syncIntervalBounds } from './syncIntervalBounds.ts'

/** The outcome of {@link parseRelayConfig}. */
export type RelayConfigResult =
  { ok: true; config: RelayConfig } | { ok: false; issues: readonly ConfigIssue[] }

// Key names that suggest a credential: the token secret belongs in env RELAY_AUTH_SECRET only.
const secretKeyPattern = /secret|password|private|^key$|hs256/i

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function joinPath(...parts: readonly PropertyKey[]): string {
  return parts
    .map(String)
    .filter((part) => part !== '')
    .join('.')
}

function issuesFromZod(issue: z.core.$ZodIssue): ConfigIssue[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: joinPath(...issue.path, key),
      message: secretKeyPattern.test(key)
        ? 'secrets never go in the config file; set env RELAY_AUTH_SECRET instead'
        : 'unknown key',
    }))
  }
  return [{ path: joinPath(...issue.path), message: issue.message }]
}

function prefixed(prefix: string, issues: readonly ConfigIssue[]): ConfigIssue[] {
  return issues.map((issue) => ({ path: joinPath(prefix, issue.path), message: issue.message }))
}

/** Checks what zod cannot see: keys and names that refer to the schema and the rules. */
function crossCheck(
  input: Record<string, unknown>,
  schema: Schema | undefined,
  rules: PermissionRules | undefined,
): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  if (schema && isRecord(input.syncIntervalMinutes)) {
    for (const table of Object.keys(input.syncIntervalMinutes)) {
      if (!schema.tables.has(table)) {
        issues.push({ path: `syncIntervalMinutes.${table}`, message: 'unknown table' })
      }
    }
  }
  const demo = input.demo
  if (!isRecord(demo)) return issues
  const users: unknown[] = Array.isArray(demo.users) ? demo.users : []
  if (demo.enabled === true && users.length === 0) {
    issues.push({ path: 'demo.users', message: 'demo mode needs at least one user' })
  }
  const seen = new Set<unknown>()
  users.forEach((user, index) => {
    if (!isRecord(user)) return
    if (seen.has(user.id)) {
      issues.push({ path: `demo.users.${index}.id`, message: 'a second user with this id' })
    }
    seen.add(user.id)
    if (!rules || !Array.isArray(user.roles)) return
    const roles: unknown[] = user.roles
    roles.forEach((role, roleIndex) => {
      if (typeof role === 'string' && !Object.hasOwn(rules.roles, role)) {
        issues.push({
          path: `demo.users.${index}.roles.${roleIndex}`,
          message: `unknown role ${JSON.stringify(role)}; the permissions define ${Object.keys(rules.roles).join(', ')}`,
        })
      }
    })
  })
  return issues
}

/**
 * Validates an untrusted relay config (the parsed JSON of a config file) and returns it with
 * every default applied, or every issue found, each with the dotted path of the bad key
 * (`permissions.roles.technician.tables.invoices`, `limits.maxFrameBytes`). Never throws.
 * Defaults: `syncIntervalMinutes` 5 for every table, `origins` none, `auth` empty, demo off,
 * `limits` from `defaultLimits`.
 * @param input - the config, e.g. `JSON.parse` of a config file
 */
export function parseRelayConfig(input: unknown): RelayConfigResult {
  const issues: ConfigIssue[] = []
  const parsed = relayConfigFileShape.safeParse(input)
  if (!parsed.success) issues.push(...parsed.error.issues.flatMap(issuesFromZod))
  if (!isRecord(input)) return { ok: false, issues }

  let schema: Schema | undefined
  if (input.schema === undefined) {
    issues.push({ path: 'schema', message: 'required: the database schema { database, tables }' })
  } else {
    const result = parseSchema(input.schema)
    if (result.ok) schema = result.schema
    else issues.push(...prefixed('schema', result.issues))
  }
  let rules: PermissionRules | undefined
  if (input.permissions === undefined) {
    issues.push({
      path: 'permissions',
      message: 'required: the permission rules { roles, owners }',
    })
  } else if (schema) {
    const result = parsePermissionRules(schema, input.permissions)
    if (result.ok) rules = result.rules
    else issues.push(...prefixed('permissions', result.issues))
  }
  issues.push(...crossCheck(input, schema, rules))
  if (
    parsed.success &&
    parsed.data.limits.bytesPerSecondPerPeer < parsed.data.limits.maxFrameBytes
  ) {
    // A byte budget below one frame would hold a peer's largest allowed frame back forever.
    issues.push({
      path: 'limits.bytesPerSecondPerPeer',
      message: `must be at least limits.maxFrameBytes (${parsed.data.limits.maxFrameBytes})`,
    })
  }
  if (!parsed.success || !schema || !rules || issues.length > 0) return { ok: false, issues }

  const { data } = parsed
  const syncIntervalMinutes: Record<string, number> = {}
  for (const table of schema.tables.keys()) {
    syncIntervalMinutes[table] = data.syncIntervalMinutes[table] ?? syncIntervalBounds.default
  }
  return {
    ok: true,
    config: {
      schema,
      permissions: rules,
      syncIntervalMinutes,
      origins: data.origins,
      auth: {
        ...(data.auth.jwksUrl !== undefined && { jwksUrl: data.auth.jwksUrl }),
        ...(data.auth.issuer !== undefined && { issuer: data.auth.issuer }),
        ...(data.auth.audience !== undefined && { audience: data.auth.audience }),
      },
      demo: data.demo,
      limits: data.limits,
    },
  }
}

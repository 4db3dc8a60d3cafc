import { describe, expect, it } from 'vitest'
import { defaultLimits, parseRelayConfig } from '@rowsync/relay'
import type { ConfigIssue, RelayConfig } from '@rowsync/relay'

/** A small valid config file; tests change one key of a fresh copy. */
function validInput(): Record<string, unknown> {
  return {
    schema: {
      database: 'field-service',
      tables: {
        customers: { fields: { name: { type: 'string', required: true } } },
        workOrders: {
          fields: { title: { type: 'string', required: true }, technician: { type: 'string' } },
        },
      },
    },
    permissions: {
      roles: {
        dispatcher: { tables: { workOrders: { access: 'write', rows: 'all' } } },
        technician: { tables: { workOrders: { access: 'write', rows: 'own' } } },
      },
      owners: { workOrders: 'technician' },
    },
  }
}

function configOf(input: unknown): RelayConfig {
  const result = parseRelayConfig(input)
  if (!result.ok) throw new Error(`expected a valid config: ${JSON.stringify(result.issues)}`)
  return result.config
}

function issuesOf(input: unknown): readonly ConfigIssue[] {
  const result = parseRelayConfig(input)
  if (result.ok) throw new Error('expected parseRelayConfig to refuse the config')
  return result.issues
}

function pathsOf(input: unknown): string[] {
  return issuesOf(input).map((issue) => issue.path)
}

describe('parseRelayConfig defaults', () => {
  it('applies the default limits', () => {
    expect(configOf(validInput()).limits).toEqual(defaultLimits)
  })

  it('names the default limits', () => {
    expect(defaultLimits).toEqual({
      maxFrameBytes: 1024 * 1024,
      messagesPerSecondPerPeer: 200,
      bytesPerSecondPerPeer: 4 * 1024 * 1024,
      peersPerUser: 10,
      loadedDocuments: 2000,
      unknownDocumentsPerMinute: 60,
      maxConnections: 1000,
    })
  })

  it('keeps a given limit and defaults the others', () => {
    const limits = configOf({ ...validInput(), limits: { peersPerUser: 3 } }).limits
    expect(limits).toEqual({ ...defaultLimits, peersPerUser: 3 })
  })

  it('gives every table a sync interval of 5 minutes unless set', () => {
    const config = configOf({ ...validInput(), syncIntervalMinutes: { customers: 1440 } })
    expect(config.syncIntervalMinutes).toEqual({ customers: 1440, workOrders: 5 })
  })

  it('allows no browser origin, no token issuer and no demo by default', () => {
    const config = configOf(validInput())
    expect(config.origins).toEqual([])
    expect(config.auth).toEqual({})
    expect(config.demo).toEqual({ enabled: false, users: [] })
  })

  it('returns the validated schema and permission rules', () => {
    const config = configOf(validInput())
    expect([...config.schema.tables.keys()]).toEqual(['customers', 'workOrders'])
    expect(config.permissions.owners).toEqual({ workOrders: 'technician' })
  })

  it('keeps origins, auth and demo users', () => {
    const config = configOf({
      ...validInput(),
      origins: ['https://app.example.com', 'http://localhost:5173'],
      auth: {
        jwksUrl: 'https://id.example.com/.well-known/jwks.json',
        issuer: 'id',
        audience: 'r',
      },
      demo: { enabled: true, users: [{ id: 'tom', roles: ['technician'] }] },
    })
    expect(config.origins).toEqual(['https://app.example.com', 'http://localhost:5173'])
    expect(config.auth).toEqual({
      jwksUrl: 'https://id.example.com/.well-known/jwks.json',
      issuer: 'id',
      audience: 'r',
    })
    expect(config.demo).toEqual({ enabled: true, users: [{ id: 'tom', roles: ['technician'] }] })
  })

  it('accepts ["*"] as every origin', () => {
    expect(configOf({ ...validInput(), origins: ['*'] }).origins).toEqual(['*'])
  })
})

describe('parseRelayConfig issues', () => {
  it('refuses a config that is not an object', () => {
    expect(pathsOf([])).toEqual([''])
  })

  it('requires a schema and permissions', () => {
    expect(pathsOf({}).sort()).toEqual(['permissions', 'schema'])
  })

  it('names an unknown top-level key', () => {
    expect(pathsOf({ ...validInput(), limit: {} })).toEqual(['limit'])
  })

  it('names a bad key inside the schema', () => {
    const input = validInput()
    input.schema = { database: 'field-service', tables: { customers: { fields: { n: {} } } } }
    expect(pathsOf(input)).toContain('schema.tables.customers.fields.n.type')
  })

  it('names an unknown table in permissions', () => {
    const input = validInput()
    input.permissions = {
      roles: { auditor: { tables: { invoices: { access: 'read', rows: 'all' } } } },
    }
    expect(pathsOf(input)).toEqual(['permissions.roles.auditor.tables.invoices'])
  })

  it('names an unknown owner field in permissions', () => {
    const input = validInput()
    input.permissions = { roles: { auditor: { tables: {} } }, owners: { workOrders: 'title2' } }
    expect(pathsOf(input)).toEqual(['permissions.owners.workOrders'])
  })

  it('names a limit that is not a positive whole number', () => {
    expect(pathsOf({ ...validInput(), limits: { maxFrameBytes: 0 } })).toEqual([
      'limits.maxFrameBytes',
    ])
    expect(pathsOf({ ...validInput(), limits: { peersPerUser: 2.5 } })).toEqual([
      'limits.peersPerUser',
    ])
    expect(pathsOf({ ...validInput(), limits: { maxConnections: '10' } })).toEqual([
      'limits.maxConnections',
    ])
  })

  it('names an unknown limit', () => {
    expect(pathsOf({ ...validInput(), limits: { framesPerSecond: 10 } })).toEqual([
      'limits.framesPerSecond',
    ])
  })

  it('refuses a byte rate below the frame size', () => {
    const limits = { maxFrameBytes: 2048, bytesPerSecondPerPeer: 1024 }
    expect(pathsOf({ ...validInput(), limits })).toEqual(['limits.bytesPerSecondPerPeer'])
  })

  it('names a bad origin by its index', () => {
    const origins = ['https://app.example.com', 'app.example.com', 'https://app.example.com/']
    expect(pathsOf({ ...validInput(), origins })).toEqual(['origins.1', 'origins.2'])
  })

  it('refuses an origin with a path, a wildcard host or another scheme', () => {
    const origins = ['https://app.example.com/sync', 'https://*.example.com', 'ftp://example.com']
    expect(pathsOf({ ...validInput(), origins })).toEqual(['origins.0', 'origins.1', 'origins.2'])
  })

  it('refuses * next to other origins', () => {
    expect(pathsOf({ ...validInput(), origins: ['*', 'https://app.example.com'] })).toEqual([
      'origins',
    ])
  })

  it('refuses a secret in the file and points to the environment', () => {
    const issues = issuesOf({ ...validInput(), auth: { secret: 'hunter2hunter2' } })
    expect(issues.map((issue) => issue.path)).toEqual(['auth.secret'])
    expect(issues[0]?.message).toContain('RELAY_AUTH_SECRET')
  })

  it('refuses a secret at the top level too', () => {
    const issues = issuesOf({ ...validInput(), authSecret: 'hunter2hunter2' })
    expect(issues.map((issue) => issue.path)).toEqual(['authSecret'])
    expect(issues[0]?.message).toContain('RELAY_AUTH_SECRET')
  })

  it('refuses a key set over plain http except on loopback', () => {
    expect(pathsOf({ ...validInput(), auth: { jwksUrl: 'http://id.example.com/jwks' } })).toEqual([
      'auth.jwksUrl',
    ])
    expect(
      configOf({ ...validInput(), auth: { jwksUrl: 'http://localhost:8080/jwks' } }).auth,
    ).toEqual({ jwksUrl: 'http://localhost:8080/jwks' })
  })

  it('names a sync interval out of range', () => {
    const syncIntervalMinutes = { workOrders: 4, customers: 1441 }
    expect(pathsOf({ ...validInput(), syncIntervalMinutes })).toEqual([
      'syncIntervalMinutes.workOrders',
      'syncIntervalMinutes.customers',
    ])
  })

  it('names a sync interval for an unknown table', () => {
    expect(pathsOf({ ...validInput(), syncIntervalMinutes: { invoices: 10 } })).toEqual([
      'syncIntervalMinutes.invoices',
    ])
  })

  it('names a demo user with an unknown role', () => {
    const demo = { enabled: true, users: [{ id: 'ada', roles: ['dispatcher', 'auditor'] }] }
    expect(pathsOf({ ...validInput(), demo })).toEqual(['demo.users.0.roles.1'])
  })

  it('names a second demo user with the same id', () => {
    const users = [
      { id: 'tom', roles: [] },
      { id: 'tom', roles: ['technician'] },
    ]
    expect(pathsOf({ ...validInput(), demo: { enabled: false, users } })).toEqual([
      'demo.users.1.id',
    ])
  })

  it('refuses demo mode without users', () => {
    expect(pathsOf({ ...validInput(), demo: { enabled: true } })).toEqual(['demo.users'])
  })

  it('combines issues from zod, the schema and the permissions', () => {
    const input = validInput()
    input.permissions = {
      roles: { auditor: { tables: { invoices: { access: 'read', rows: 'all' } } } },
    }
    input.limits = { loadedDocuments: -1 }
    input.origins = ['nowhere']
    expect(pathsOf(input).sort()).toEqual([
      'limits.loadedDocuments',
      'origins.0',
      'permissions.roles.auditor.tables.invoices',
    ])
  })
})

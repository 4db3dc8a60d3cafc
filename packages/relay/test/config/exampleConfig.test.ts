import { canRead, canWrite, readableTables } from '@rowsync/schema'
import type { UserIdentity } from '@rowsync/schema'
import { describe, expect, it } from 'vitest'
import { exampleConfig, parseRelayConfig } from '@rowsync/relay'
import type { RelayConfig } from '@rowsync/relay'

function setup(): RelayConfig {
  const result = parseRelayConfig(exampleConfig)
  if (!result.ok) throw new Error(`expected a valid config: ${JSON.stringify(result.issues)}`)
  return result.config
}

function demoUser(config: RelayConfig, id: string): UserIdentity {
  const user = config.demo.users.find((candidate) => candidate.id === id)
  if (!user) throw new Error(`no demo user ${id}`)
  return user
}

const tomsOrder = { title: 'Replace pump seal', status: 'open', technician: 'tom' }
const tinasOrder = { title: 'Inspect boiler', status: 'scheduled', technician: 'tina' }

describe('exampleConfig', () => {
  it('is a valid config', () => {
    expect(parseRelayConfig(exampleConfig).ok).toBe(true)
  })

  it('survives a round trip through JSON, as a config file', () => {
    expect(parseRelayConfig(JSON.parse(JSON.stringify(exampleConfig))).ok).toBe(true)
  })

  it('keeps demo mode off', () => {
    expect(setup().demo.enabled).toBe(false)
  })

  it('has the four tables of a field-service database', () => {
    expect([...setup().schema.tables.keys()].sort()).toEqual([
      'customers',
      'sites',
      'technicians',
      'workOrders',
    ])
  })

  it('flags concurrent status changes and concurrent deletes of work orders', () => {
    const workOrders = setup().schema.tables.get('workOrders')
    expect(workOrders?.fields.get('status')?.policy).toBe('flag')
    expect(workOrders?.deletePolicy).toBe('flag')
  })

  it('lets dispatcher dana write every table', () => {
    const config = setup()
    const dana = demoUser(config, 'dana')
    expect(canWrite(config.permissions, dana, 'workOrders', tinasOrder)).toBe(true)
    expect(canWrite(config.permissions, dana, 'customers', { name: 'Acme' })).toBe(true)
  })

  it('lets technician tom write his own work orders only', () => {
    const config = setup()
    const tom = demoUser(config, 'tom')
    expect(canWrite(config.permissions, tom, 'workOrders', tomsOrder)).toBe(true)
    expect(canRead(config.permissions, tom, 'workOrders', tinasOrder)).toBe(false)
    expect(canRead(config.permissions, tom, 'sites', { name: 'Plant 2' })).toBe(true)
    expect(canWrite(config.permissions, tom, 'sites', { name: 'Plant 2' })).toBe(false)
  })

  it('lets auditor ada read every table and write none', () => {
    const config = setup()
    const ada = demoUser(config, 'ada')
    expect(readableTables(config.permissions, ada)).toEqual([
      'customers',
      'sites',
      'technicians',
      'workOrders',
    ])
    expect(canWrite(config.permissions, ada, 'workOrders', tinasOrder)).toBe(false)
  })
})

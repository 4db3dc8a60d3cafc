import type { RelayConfigFile } from './RelayConfig.ts'

/**
 * An example field-service database: work orders for customers' sites, done by technicians.
 * Dispatchers write everything, technicians write their own work orders and read the rest,
 * auditors read everything. The relay CLI serves it when no `--config` is given; `--demo`
 * turns on its demo users (dana the dispatcher, tom and tina the technicians, ada the auditor).
 */
export const exampleConfig = {
  schema: {
    database: 'field-service',
    tables: {
      workOrders: {
        fields: {
          title: { type: 'string', required: true },
          status: {
            type: 'choice',
            values: ['open', 'scheduled', 'in-progress', 'done'],
            default: 'open',
            policy: 'flag',
          },
          priority: { type: 'integer', default: 3 },
          description: { type: 'text' },
          customer: { type: 'reference', table: 'customers' },
          site: { type: 'reference', table: 'sites' },
          technician: { type: 'string' },
          scheduledFor: { type: 'datetime' },
          dueDate: { type: 'date' },
          estimateHours: { type: 'number' },
          partsUsed: { type: 'counter' },
          billable: { type: 'boolean' },
        },
        deletePolicy: 'flag',
      },
      customers: {
        fields: {
          name: { type: 'string', required: true },
          phone: { type: 'string' },
          email: { type: 'string' },
        },
      },
      sites: {
        fields: {
          name: { type: 'string', required: true },
          address: { type: 'text' },
          customer: { type: 'reference', table: 'customers' },
        },
      },
      technicians: {
        fields: {
          name: { type: 'string', required: true },
          userId: { type: 'string' },
        },
      },
    },
  },
  permissions: {
    roles: {
      dispatcher: {
        tables: {
          workOrders: { access: 'write', rows: 'all' },
          customers: { access: 'write', rows: 'all' },
          sites: { access: 'write', rows: 'all' },
          technicians: { access: 'write', rows: 'all' },
        },
      },
      technician: {
        tables: {
          workOrders: { access: 'write', rows: 'own' },
          customers: { access: 'read', rows: 'all' },
          sites: { access: 'read', rows: 'all' },
          technicians: { access: 'read', rows: 'all' },
        },
      },
      auditor: {
        tables: {
          workOrders: { access: 'read', rows: 'all' },
          customers: { access: 'read', rows: 'all' },
          sites: { access: 'read', rows: 'all' },
          technicians: { access: 'read', rows: 'all' },
        },
      },
    },
    // The technician field holds the user id of the technician the work order is assigned to.
    owners: { workOrders: 'technician' },
  },
  // Work orders change during the day; the reference tables rarely do.
  syncIntervalMinutes: { workOrders: 5, customers: 60, sites: 60, technicians: 240 },
  // Tokens travel in headers or the query, never in cookies, so any origin is safe to try out.
  origins: ['*'],
  auth: {},
  demo: {
    enabled: false,
    users: [
      { id: 'dana', roles: ['dispatcher'] },
      { id: 'tom', roles: ['technician'] },
      { id: 'tina', roles: ['technician'] },
      { id: 'ada', roles: ['auditor'] },
    ],
  },
} as const satisfies RelayConfigFile

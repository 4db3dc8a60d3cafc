import type { BenchCase, CaseOptions, Scenario } from '../Scenario.ts'
import type { SystemId } from '../systems.ts'
import { measureAutomergeMerge } from './automergeMerge.ts'
import { buildLoroFixture, measureLoroMerge } from './loroMerge.ts'
import { buildRowsyncFixture, measureRowsyncMerge } from './rowsyncMerge.ts'
import {
  mergeCase,
  mergePolicies,
  toMergeWorkload,
  type MergeFixture,
  type MergePolicyName,
} from './workload.ts'
import { buildYjsFixture, measureYjsMerge } from './yjsMerge.ts'

interface Matrix {
  readonly rows: readonly number[]
  readonly replicas: readonly number[]
  readonly edited: readonly number[]
  readonly policies: readonly MergePolicyName[]
}

const matrices: Record<CaseOptions['suite'], Matrix> = {
  quick: { rows: [1_000, 10_000], replicas: [2], edited: [0, 100], policies: ['merge'] },
  full: {
    rows: [1_000, 10_000, 100_000],
    replicas: [2, 5],
    edited: [0, 10, 100],
    policies: mergePolicies,
  },
}

/**
 * Merging diverged replicas: replica 0 merges what every other replica sends for each of its rows,
 * with a share of rows edited concurrently on every replica, on one field per merge policy.
 */
export const mergeScenario: Scenario<MergeFixture> = {
  name: 'merge',
  description:
    'Replica 0 merges every other replica’s copy of each row: `replicas` copies of `rows` rows, ' +
    'with `edited` percent of rows edited concurrently on every replica, on the field of one ' +
    'merge `policy` (merge: a string register, flag: a flagged choice, text: appends to text, ' +
    'counter: increments). Every system keeps one document per row, merges the copies one at ' +
    'a time and stores the result. Rowsync imports the other replicas’ exported documents ' +
    '(`importDocument`: load, merge, validate, flag, store); Automerge merges the same ' +
    'documents in memory; Yjs (a `Y.Map` per row, `Y.applyUpdate`, `Y.encodeStateAsUpdate`) ' +
    'and Loro (a `LoroMap` per row, `import`, snapshot `export`) do the same edits. Yjs and ' +
    'Loro keep no conflicting values, so their flag case is a plain register. With 0% edited ' +
    'no policy comes into play and the case runs once. Wire bytes: everything replica 0 ' +
    'receives, per row.',
  systems: ['rowsync-lmdb', 'rowsync-memory', 'automerge', 'yjs', 'loro'],
  quickSystems: ['rowsync-lmdb', 'automerge', 'yjs', 'loro'],
  parameterUnits: { edited: '%' },

  cases({ suite, rows, devices }): BenchCase[] {
    if (devices !== undefined && devices < 2) {
      throw new Error(`merge needs at least 2 devices, got --devices ${devices}`)
    }
    const matrix = matrices[suite]
    const cases: BenchCase[] = []
    // Row counts outermost: consecutive cases share the Rowsync fixture's inserted rows.
    for (const rowCount of rows === undefined ? matrix.rows : [rows]) {
      for (const replicas of devices === undefined ? matrix.replicas : [devices]) {
        for (const edited of matrix.edited) {
          // With no row edited no policy comes into play: one case stands for all of them.
          for (const policy of edited === 0 ? matrix.policies.slice(0, 1) : matrix.policies) {
            cases.push(mergeCase({ rows: rowCount, replicas, edited, policy }))
          }
        }
      }
    }
    return cases
  },

  async prepare(benchCase, systems) {
    const workload = toMergeWorkload(benchCase)
    const fixtures = new Map<SystemId, MergeFixture>()
    if (systems.some((system) => system.startsWith('rowsync') || system === 'automerge')) {
      const fixture = await buildRowsyncFixture(workload)
      for (const system of systems) {
        if (system === 'rowsync-memory' || system === 'rowsync-lmdb') fixtures.set(system, fixture)
      }
      // Automerge needs the documents only, not replica 0's storage.
      const { stored, received } = fixture
      if (systems.includes('automerge')) fixtures.set('automerge', { stored, received })
    }
    if (systems.includes('yjs')) fixtures.set('yjs', buildYjsFixture(workload))
    if (systems.includes('loro')) fixtures.set('loro', buildLoroFixture(workload))
    return { fixtures, dispose: () => Promise.resolve() }
  },

  measure(benchCase, system, fixture, options) {
    const workload = toMergeWorkload(benchCase)
    switch (system) {
      case 'rowsync-memory':
      case 'rowsync-lmdb':
        return measureRowsyncMerge(workload, system, fixture, options)
      case 'automerge':
        return measureAutomergeMerge(workload, fixture, options)
      case 'yjs':
        return measureYjsMerge(workload, fixture, options)
      case 'loro':
        return measureLoroMerge(workload, fixture, options)
      case 'rowsync-relay':
      case 'automerge-repo':
        throw new Error(`merge: ${system} is a sync system; it does not merge replicas`)
    }
  },
}

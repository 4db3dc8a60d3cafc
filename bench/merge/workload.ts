import { baseNotes, baseRow, statuses } from '../rows/workOrders.ts'
import type { BenchCase } from '../Scenario.ts'
import type { StorageEntry } from '../storage.ts'

/** The field policies the merge scenario covers, one field each. */
export const mergePolicies = ['merge', 'flag', 'text', 'counter'] as const

/** One of {@link mergePolicies}. */
export type MergePolicyName = (typeof mergePolicies)[number]

/** The field each policy's case edits concurrently on every replica. */
export const fieldOfPolicy = {
  merge: 'site',
  flag: 'status',
  text: 'notes',
  counter: 'visits',
} as const satisfies Record<MergePolicyName, string>

/** One merge case: `replicas` copies of `rows` rows; `edited` percent of rows edited on each. */
export interface MergeWorkload {
  readonly rows: number
  readonly replicas: number
  /** Percent of rows (0 to 100) that every replica edits, on the same field. */
  readonly edited: number
  readonly policy: MergePolicyName
}

/**
 * The inputs of one system's merge runs. Replica 0 merges what the others send.
 * Every array is indexed by row.
 */
export interface MergeFixture {
  /** Replica 0's own copy of each row as that system stores it. */
  readonly stored: readonly Uint8Array[]
  /** What each other replica sends for each row: `received[replica - 1][row]`. */
  readonly received: ReadonlyArray<readonly Uint8Array[]>
  /** Rowsync only: every storage entry of replica 0's database before the merge. */
  readonly storage?: readonly StorageEntry[]
}

/** The merge case of a workload. */
export function mergeCase(workload: MergeWorkload): BenchCase {
  const { rows, replicas, edited, policy } = workload
  return { rows, parameters: { replicas, edited, policy } }
}

/**
 * The workload of a merge case.
 * @throws {Error} when the case's parameters are not a merge workload
 */
export function toMergeWorkload(benchCase: BenchCase): MergeWorkload {
  const { replicas, edited, policy } = benchCase.parameters
  const known = mergePolicies.find((name) => name === policy)
  if (
    typeof replicas !== 'number' ||
    !Number.isSafeInteger(replicas) ||
    replicas < 2 ||
    typeof edited !== 'number' ||
    !(edited >= 0 && edited <= 100) ||
    known === undefined
  ) {
    throw new Error(`merge: not a merge case: ${JSON.stringify(benchCase.parameters)}`)
  }
  return { rows: benchCase.rows, replicas, edited, policy: known }
}

/**
 * Whether every replica edits row `index`: exactly `edited` percent of the rows, spread evenly.
 * @param workload - the case
 * @param index - the row
 */
export function isEdited(workload: MergeWorkload, index: number): boolean {
  const { edited } = workload
  return Math.floor(((index + 1) * edited) / 100) > Math.floor((index * edited) / 100)
}

/** The number of rows every replica edits. */
export function editedRows(workload: MergeWorkload): number {
  return Math.floor((workload.rows * workload.edited) / 100)
}

/** The site (a `merge` register) that a replica writes into an edited row. */
export function siteEdit(replica: number, index: number): string {
  return `Site ${index % 97}, bay ${replica}`
}

/** The status (a `flag` register) that a replica writes into an edited row. */
export function statusEdit(replica: number): (typeof statuses)[number] {
  return statuses[1 + (replica % (statuses.length - 1))]!
}

/** The value a replica writes into the register of an edited row (`merge` and `flag` policies). */
export function registerEdit(policy: 'merge' | 'flag', replica: number, index: number): string {
  return policy === 'merge' ? siteEdit(replica, index) : statusEdit(replica)
}

/** The text a replica appends to the notes of an edited row. */
export function textEdit(replica: number): string {
  return ` Checked by replica ${replica}.`
}

/** The amount a replica adds to the visits counter of an edited row. */
export function counterEdit(replica: number): number {
  return replica + 1
}

/**
 * Rows whose merged values are checked after a run: the first 50 (edited ones among them at
 * every edited share of 2% and up) and the last.
 */
export function sampleRows(rows: number): number[] {
  const sample = Array.from({ length: Math.min(rows, 50) }, (_, index) => index)
  if (rows > 50) sample.push(rows - 1)
  return sample
}

/**
 * Checks the merged value of the edited field of one row: a register holds one replica's value,
 * text holds every replica's addition, a counter the sum of every increment.
 * @param system - the system, for the error message
 * @param workload - the case
 * @param index - the row
 * @param value - the merged value of the row's field under test
 * @throws {Error} naming the system, row and field when the value is not the merge of the edits
 */
export function checkMerged(
  system: string,
  workload: MergeWorkload,
  index: number,
  value: unknown,
): void {
  const { policy, replicas } = workload
  const field = fieldOfPolicy[policy]
  const edited = isEdited(workload, index)
  const replicaIndexes = Array.from({ length: replicas }, (_, replica) => replica)
  let expected: string
  let ok: boolean
  switch (policy) {
    case 'merge':
    case 'flag': {
      const base = baseRow(index)[field as 'site' | 'status']
      const allowed = edited
        ? replicaIndexes.map((replica) => registerEdit(policy, replica, index))
        : [base]
      expected = `one of ${JSON.stringify(allowed)}`
      ok = typeof value === 'string' && allowed.includes(value)
      break
    }
    case 'text': {
      const parts = edited ? replicaIndexes.map(textEdit) : []
      expected = `${JSON.stringify(baseNotes)} followed by ${JSON.stringify(parts)} in any order`
      ok =
        typeof value === 'string' &&
        value.startsWith(baseNotes) &&
        value.length === baseNotes.length + parts.reduce((sum, part) => sum + part.length, 0) &&
        parts.every((part) => value.includes(part))
      break
    }
    case 'counter': {
      const sum = edited
        ? replicaIndexes.reduce((total, replica) => total + counterEdit(replica), 0)
        : 0
      expected = String(sum)
      ok = value === sum
      break
    }
  }
  if (!ok) {
    throw new Error(
      `${system} merge of ${workload.replicas} replicas: row ${index} field ${field} is ${JSON.stringify(value)}, expected ${expected}`,
    )
  }
}

/** The bytes of every copy of every row. */
export function bytesOf(copies: ReadonlyArray<readonly Uint8Array[]>): number {
  let total = 0
  for (const list of copies) for (const bytes of list) total += bytes.byteLength
  return total
}

import { RowNotFoundError } from '@rowsync/client'
import type { CampaignDevice } from './campaign.ts'

// A Jepsen-style checker for work-order edits. Every edit the devices make is logged with what
// makes it unique: inserts and title updates (a `merge` field) carry a value no other edit
// writes, status updates (a `flag` field) always change the value, counter increments add a
// logged amount, deletes set the tombstone. Each edit that a device's write call acknowledged
// is exactly one Automerge change, so on every replica a row's history must hold exactly as
// many changes of each device as that device logged, every unique title exactly once, and the
// counter must equal the sum of the logged increments: fewer is a lost edit, more a duplicated
// one (a re-made change, or an increment applied twice).

/** The kinds of edit the campaign makes. */
export type EditKind = 'insert' | 'title' | 'status' | 'increment' | 'delete'

/** One acknowledged edit of a work order. */
export interface Edit {
  readonly kind: EditKind
  readonly row: string
  /** The database's device id of the writer. */
  readonly device: string
  /** The unique title (insert, title), the status, or the increment. */
  readonly value: string | number | undefined
}

/** Lost and duplicated edits found by {@link EditLog.check}, with the first few described. */
export interface CheckResult {
  lost: number
  duplicated: number
  checkedEdits: number
  problems: string[]
}

const statuses = ['open', 'scheduled', 'in-progress', 'done'] as const
const table = 'workOrders'

/** The edits a test made, and the checker over replicas. */
export class EditLog {
  readonly edits: Edit[] = []
  #unique = 0
  readonly #prefix: string

  /** @param prefix - makes titles unique across runs sharing a relay */
  constructor(prefix: string) {
    this.#prefix = prefix
  }

  /** A value no other edit of this log writes. */
  uniqueValue(): string {
    this.#unique += 1
    return `${this.#prefix}-v${this.#unique}`
  }

  /** Rows the log touched. */
  rows(): string[] {
    return [...new Set(this.edits.map((edit) => edit.row))]
  }

  /**
   * Makes one edit of `kind` on `device` and logs it once the write call resolves (the write is
   * durable on the device). An edit that cannot apply (a deleted or unknown row) is not made.
   * Inserts: each row id once, on one device.
   * @returns whether an edit was made
   */
  async apply(device: CampaignDevice, kind: EditKind, row: string, amount = 1): Promise<boolean> {
    try {
      return await this.#apply(device, kind, row, amount)
    } catch (error) {
      // A remote delete can land between the read and the write: no edit was made.
      if (error instanceof RowNotFoundError) return false
      throw error
    }
  }

  async #apply(device: CampaignDevice, kind: EditKind, row: string, amount: number) {
    const workOrders = device.database.table(table)
    const current = workOrders.get(row)
    const deviceId = device.database.device
    if (kind === 'insert') {
      // The caller inserts each row id once, on one device.
      const title = this.uniqueValue()
      await workOrders.insert({ title, technician: 'tom' }, { id: row })
      this.edits.push({ kind, row, device: deviceId, value: title })
      return true
    }
    // A deleted row (`get` may still show one whose delete conflicts with an edit) takes no
    // edits here: a second delete would make no change, and updates are refused.
    if (!current || device.database.rowsOf(table).get(row)?.deleted !== false) return false
    switch (kind) {
      case 'title': {
        const title = this.uniqueValue()
        await workOrders.update(row, { title })
        this.edits.push({ kind, row, device: deviceId, value: title })
        return true
      }
      case 'status': {
        const others = statuses.filter((status) => status !== current['status'])
        const status = others[amount % others.length]!
        await workOrders.update(row, { status })
        this.edits.push({ kind, row, device: deviceId, value: status })
        return true
      }
      case 'increment':
        await workOrders.increment(row, 'partsUsed', amount)
        this.edits.push({ kind, row, device: deviceId, value: amount })
        return true
      case 'delete':
        await workOrders.delete(row)
        this.edits.push({ kind, row, device: deviceId, value: undefined })
        return true
    }
  }

  /** Counts lost and duplicated edits on every replica. */
  async check(replicas: readonly CampaignDevice[]): Promise<CheckResult> {
    const result: CheckResult = { lost: 0, duplicated: 0, checkedEdits: 0, problems: [] }
    const note = (problem: string) => {
      if (result.problems.length < 20) result.problems.push(problem)
    }
    for (const row of this.rows()) {
      const edits = this.edits.filter((edit) => edit.row === row)
      const changesPerDevice = new Map<string, number>()
      for (const edit of edits) {
        changesPerDevice.set(edit.device, (changesPerDevice.get(edit.device) ?? 0) + 1)
      }
      const titles = edits.flatMap((edit) =>
        edit.kind === 'insert' || edit.kind === 'title' ? [String(edit.value)] : [],
      )
      const increments = edits
        .filter((edit) => edit.kind === 'increment')
        .reduce((sum, edit) => sum + Number(edit.value), 0)
      const deleted = edits.some((edit) => edit.kind === 'delete')
      for (const replica of replicas) {
        result.checkedEdits += edits.length
        const history = await replica.database.history(table, row)
        for (const [device, expected] of changesPerDevice) {
          const found = history.filter((event) => event.device === device).length
          if (found < expected) {
            result.lost += expected - found
            note(`${replica.name}: ${row}: ${expected - found} change(s) of ${device} missing`)
          }
          if (found > expected) {
            result.duplicated += found - expected
            note(`${replica.name}: ${row}: ${found - expected} extra change(s) of ${device}`)
          }
        }
        for (const title of titles) {
          const writes = history.filter((event) =>
            event.fields.some((change) => change.field === 'title' && change.to === title),
          ).length
          if (writes !== 1) note(`${replica.name}: ${row}: title ${title} written ${writes} times`)
          if (writes === 0) result.lost += 1
          if (writes > 1) result.duplicated += writes - 1
        }
        const stored = replica.database.table(table).get(row)
        if (!deleted) {
          if (!stored) {
            result.lost += 1
            note(`${replica.name}: ${row} is missing`)
            continue
          }
          const counted = Number(stored['partsUsed'] ?? 0)
          if (counted < increments) result.lost += 1
          if (counted > increments) result.duplicated += 1
          if (counted !== increments) {
            note(`${replica.name}: ${row}: partsUsed ${counted}, increments sum ${increments}`)
          }
        }
      }
    }
    return result
  }
}

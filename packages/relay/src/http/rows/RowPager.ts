import type { FieldValue } from '@rowsync/schema'

/** What the rows list needs of a row's latest recorded state. */
export interface RowPageEntry {
  readonly seq: number
  readonly documentId: string
  readonly table: string
  readonly id: string
  readonly heads: readonly string[]
  readonly deleted: boolean
  readonly values: Readonly<Record<string, FieldValue>>
  readonly flagged: readonly string[]
}

/**
 * Pages through the rows the relay holds, in the order of their last change; the relay's
 * `Feed` is one.
 */
export interface RowPager {
  /**
   * The entries after `since` that `include` accepts, at most `limit`; `next` is where the
   * next page starts, or null after the last page.
   */
  page(options: {
    readonly since: number
    readonly limit: number
    readonly include: (entry: RowPageEntry) => boolean
  }): Promise<{ readonly entries: readonly RowPageEntry[]; readonly next: number | null }>
}

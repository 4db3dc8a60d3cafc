import { type RowProjection } from '@rowsync/schema'
import type { FieldValue, RowId, TableSchema } from '@rowsync/schema'
import { compileQuery, type Query, type Where } from './query/Query.ts'
import { selectFirst } from './query/selectFirst.ts'

/** A row as apps read it: its id and its field values, frozen. */
export type Row<V = Record<string, FieldValue>> = Readonly<{ id: string } & V>

/** What a table needs from its database; implemented by `Database`. */
export interface TableHost {
  rowsOf(table: string): ReadonlyMap<string, RowProjection>
  rowOf(projection: RowProjection): Row
  insert(table: TableSchema, values: unknown, id: RowId | undefined): Promise<Row>
  update(table: TableSchema, id: string, values: unknown): Promise<Row>
  increment(table: TableSchema, id: string, field: string, by: number): Promise<Row>
  delete(table: TableSchema, id: string): Promise<void>
  subscribe(table: string, listener: () => void): () => void
}

/** Options of {@link Table.insert}. */
export interface InsertOptions {
  /** The row id; generated (a random UUID) when not given. */
  id?: string
}

/**
 * One table of an open database. Reads are synchronous and local; writes resolve once durable
 * on this device. Deleted rows are invisible to reads.
 */
export class Table<V extends Record<string, FieldValue> = Record<string, FieldValue>> {
  /** The table's schema. */
  readonly schema: TableSchema
  readonly #host: TableHost

  /** @internal Tables come from `Database.table`. */
  constructor(host: TableHost, schema: TableSchema) {
    this.#host = host
    this.schema = schema
  }

  /**
   * Inserts a row; missing fields take their defaults.
   * @param values - field values
   * @param options - see {@link InsertOptions}
   * @throws {ValidationError} when a value does not fit the schema (nothing is written)
   * @throws {RowExistsError} when a row with that id exists
   * @throws {TypeError} when the given id is not a valid row id
   */
  insert(values: Partial<V>, options: InsertOptions = {}): Promise<Row<V>> {
    return this.#host.insert(this.schema, values, options.id as RowId | undefined) as Promise<
      Row<V>
    >
  }

  /**
   * Changes some fields of a row; fields not given keep their values.
   * @throws {ValidationError} when a value does not fit the schema (nothing is written)
   * @throws {RowNotFoundError} when there is no such row
   */
  update(id: string, values: Partial<V>): Promise<Row<V>> {
    return this.#host.update(this.schema, id, values) as Promise<Row<V>>
  }

  /**
   * Adds to a counter field; concurrent increments on several devices add up.
   * @param by - the amount, a whole number (may be negative). Default 1.
   * @throws {ValidationError} when the field is not a counter or `by` is not a whole number
   * @throws {RowNotFoundError} when there is no such row
   */
  increment(id: string, field: keyof V & string, by = 1): Promise<Row<V>> {
    return this.#host.increment(this.schema, id, field, by) as Promise<Row<V>>
  }

  /**
   * Deletes a row (a tombstone that replicates).
   * @throws {RowNotFoundError} when there is no such row
   */
  delete(id: string): Promise<void> {
    return this.#host.delete(this.schema, id)
  }

  /** The row with this id, or `undefined`. */
  get(id: string): Row<V> | undefined {
    const projection = this.#host.rowsOf(this.schema.name).get(id)
    return projection && !projection.deleted ? (this.#host.rowOf(projection) as Row<V>) : undefined
  }

  /**
   * The rows that match a query, sorted and paged.
   * @throws {TypeError} naming the field or option when the query is malformed
   */
  query(query: Query<V> = {}): Array<Row<V>> {
    const compiled = compileQuery(this.schema, query)
    const matches: RowProjection[] = []
    for (const projection of this.#host.rowsOf(this.schema.name).values()) {
      if (!projection.deleted && compiled.matches(projection.values, projection.id)) {
        matches.push(projection)
      }
    }
    return selectFirst(matches, compiled.offset + compiled.limit, compiled.compare)
      .slice(compiled.offset)
      .map((projection) => this.#host.rowOf(projection) as Row<V>)
  }

  /** Every row, sorted by id. */
  list(): Array<Row<V>> {
    return this.query()
  }

  /**
   * The number of rows that match a filter.
   * @throws {TypeError} naming the field when the filter is malformed
   */
  count(where?: Where<V>): number {
    const compiled = compileQuery(this.schema, where ? { where } : {})
    let count = 0
    for (const projection of this.#host.rowsOf(this.schema.name).values()) {
      if (!projection.deleted && compiled.matches(projection.values, projection.id)) count++
    }
    return count
  }

  /**
   * Calls `listener` with the row (or `undefined` once deleted) after every committed change
   * to it, local or merged.
   * @returns a function that ends the subscription
   */
  subscribe(id: string, listener: (row: Row<V> | undefined) => void): () => void {
    let last = this.get(id)
    return this.#host.subscribe(this.schema.name, () => {
      const row = this.get(id)
      if (row === last) return
      last = row
      listener(row)
    })
  }

  /**
   * Calls `listener` with the query's result after every committed change that alters it.
   * @throws {TypeError} when the query is malformed
   * @returns a function that ends the subscription
   */
  subscribeQuery(query: Query<V>, listener: (rows: Array<Row<V>>) => void): () => void {
    let last = this.query(query)
    return this.#host.subscribe(this.schema.name, () => {
      const rows = this.query(query)
      if (rows.length === last.length && rows.every((row, index) => row === last[index])) return
      last = rows
      listener(rows)
    })
  }
}

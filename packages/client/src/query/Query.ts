import type { FieldValue, TableSchema } from '@rowsync/schema'

/** A condition on one field; several conditions in one object must all hold. */
export interface Condition<V> {
  eq?: V
  ne?: V
  lt?: V
  lte?: V
  gt?: V
  gte?: V
  in?: readonly V[]
  /** Case-insensitive substring match on string fields. */
  contains?: string
}

/** Conditions by field (`id` included); a bare value means equality. */
export type Where<R> = {
  [K in keyof R | 'id']?:
    (K extends keyof R ? R[K] : string) | Condition<K extends keyof R ? R[K] : string>
}

/** A sort key; nulls sort last in either direction. */
export type OrderBy<R> =
  (keyof R & string) | 'id' | { field: (keyof R & string) | 'id'; direction?: 'asc' | 'desc' }

/** A query over one table: filter, sort (ties broken by row id), then page. */
export interface Query<R> {
  where?: Where<R>
  orderBy?: OrderBy<R> | readonly OrderBy<R>[]
  /** The most rows returned. Default: all. */
  limit?: number
  /** Rows skipped after sorting. Default 0. */
  offset?: number
}

type Comparable = FieldValue | undefined
type Predicate = (values: Readonly<Record<string, FieldValue>>, id: string) => boolean
type Comparator = (a: CompiledRow, b: CompiledRow) => number

/** A row as the compiled query reads it. */
export interface CompiledRow {
  readonly id: string
  readonly values: Readonly<Record<string, FieldValue>>
}

/** A query checked against its table and ready to run. */
export interface CompiledQuery {
  readonly matches: Predicate
  readonly compare: Comparator
  readonly offset: number
  readonly limit: number
}

const operators = new Set(['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'contains'])

function compareValues(a: Comparable, b: Comparable): number {
  if (a === b) return 0
  if (a === null || a === undefined) return 1
  if (b === null || b === undefined) return -1
  return a < b ? -1 : a > b ? 1 : 0
}

function isCondition(value: unknown): value is Condition<FieldValue> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length > 0 &&
    Object.keys(value).every((key) => operators.has(key))
  )
}

function compileCondition(field: string, condition: unknown): (value: Comparable) => boolean {
  if (!isCondition(condition)) {
    if (typeof condition === 'object' && condition !== null) {
      throw new TypeError(
        `Invalid query on ${field}: use a value or an object of ${[...operators].join(', ')}`,
      )
    }
    return (value) => value === condition
  }
  const tests: Array<(value: Comparable) => boolean> = []
  const { eq, ne, lt, lte, gt, gte, contains } = condition
  if (eq !== undefined) tests.push((value) => value === eq)
  if (ne !== undefined) tests.push((value) => value !== ne)
  if (lt !== undefined) tests.push((value) => value != null && compareValues(value, lt) < 0)
  if (lte !== undefined) tests.push((value) => value != null && compareValues(value, lte) <= 0)
  if (gt !== undefined) tests.push((value) => value != null && compareValues(value, gt) > 0)
  if (gte !== undefined) tests.push((value) => value != null && compareValues(value, gte) >= 0)
  if (condition.in !== undefined) {
    if (!Array.isArray(condition.in))
      throw new TypeError(`Invalid query on ${field}: in needs a list`)
    const allowed = new Set<unknown>(condition.in)
    tests.push((value) => allowed.has(value))
  }
  if (contains !== undefined) {
    if (typeof contains !== 'string') {
      throw new TypeError(`Invalid query on ${field}: contains needs a string`)
    }
    const needle = contains.toLowerCase()
    tests.push((value) => typeof value === 'string' && value.toLowerCase().includes(needle))
  }
  return (value) => tests.every((test) => test(value))
}

function checkField(table: TableSchema, field: string, where: string): void {
  if (field !== 'id' && !table.fields.has(field)) {
    throw new TypeError(`Invalid query ${where}: table ${table.name} has no field ${field}`)
  }
}

function checkCount(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`Invalid query: ${name} must be a whole number of 0 or more, got ${value}`)
  }
  return value
}

/**
 * Checks a query against a table and compiles it.
 * @param table - the table queried
 * @param query - filter, sort and page
 * @throws {TypeError} naming the field or option when the query is malformed
 */
export function compileQuery<R>(table: TableSchema, query: Query<R> = {}): CompiledQuery {
  const fieldTests = Object.entries(query.where ?? {}).map(([field, condition]) => {
    checkField(table, field, 'where')
    const test = compileCondition(field, condition)
    return field === 'id'
      ? (values: Readonly<Record<string, FieldValue>>, id: string) => test(id)
      : (values: Readonly<Record<string, FieldValue>>) => test(values[field])
  })
  const orderBy =
    query.orderBy === undefined
      ? []
      : Array.isArray(query.orderBy)
        ? query.orderBy
        : [query.orderBy]
  const sortKeys = (orderBy as ReadonlyArray<OrderBy<R>>).map((key) => {
    const { field, direction = 'asc' } = typeof key === 'string' ? { field: key } : key
    checkField(table, field, 'orderBy')
    if (direction !== 'asc' && direction !== 'desc') {
      throw new TypeError(`Invalid query orderBy on ${field}: direction is asc or desc`)
    }
    return { field, sign: direction === 'asc' ? 1 : -1 }
  })
  const read = (row: CompiledRow, field: string): Comparable =>
    field === 'id' ? row.id : row.values[field]
  return {
    matches: (values, id) => fieldTests.every((test) => test(values, id)),
    compare: (a, b) => {
      for (const { field, sign } of sortKeys) {
        const order = compareValues(read(a, field), read(b, field))
        if (order !== 0)
          return read(a, field) == null || read(b, field) == null ? order : order * sign
      }
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
    },
    offset: checkCount('offset', query.offset, 0),
    limit: checkCount('limit', query.limit, Number.POSITIVE_INFINITY),
  }
}

/** The value types a field can hold. */
export const fieldTypes = [
  'string',
  'text',
  'number',
  'integer',
  'boolean',
  'date',
  'datetime',
  'choice',
  'reference',
  'counter',
] as const

/** One of {@link fieldTypes}. */
export type FieldType = (typeof fieldTypes)[number]

/** How concurrent writes to one field are merged (see DESIGN.md, "Merge policy per field"). */
export type MergePolicy = 'merge' | 'flag' | 'text' | 'counter'

/** What happens when a delete is concurrent with an edit of the same row. */
export type DeletePolicy = 'delete-wins' | 'flag'

interface FieldBase {
  /** A required field must have a value on insert and cannot be cleared. Default `false`. */
  readonly required?: boolean
  /** The merge policy; defaults to `merge`, `text` for text fields and `counter` for counters. */
  readonly policy?: MergePolicy
}

/** The definition of one field of a table. */
export type FieldDefinition =
  | (FieldBase & {
      readonly type: 'string' | 'text' | 'date' | 'datetime'
      readonly default?: string
    })
  | (FieldBase & { readonly type: 'number' | 'integer' | 'counter'; readonly default?: number })
  | (FieldBase & { readonly type: 'boolean'; readonly default?: boolean })
  | (FieldBase & {
      readonly type: 'choice'
      readonly values: readonly string[]
      readonly default?: string
    })
  | (FieldBase & { readonly type: 'reference'; readonly table: string; readonly default?: string })

/** The definition of one table: its fields and its delete policy (default `delete-wins`). */
export interface TableDefinition {
  readonly fields: Readonly<Record<string, FieldDefinition>>
  readonly deletePolicy?: DeletePolicy
}

/** A database schema as an application writes it. */
export interface SchemaDefinition {
  /** The database name; part of every row's document id. */
  readonly database: string
  readonly tables: Readonly<Record<string, TableDefinition>>
}

/** A field after validation, with its policy resolved. */
export interface FieldSchema {
  readonly name: string
  readonly type: FieldType
  readonly required: boolean
  readonly policy: MergePolicy
  readonly default: FieldValue | undefined
  /** The allowed values of a `choice` field. */
  readonly values: readonly string[] | undefined
  /** The referenced table of a `reference` field. */
  readonly table: string | undefined
}

/** A table after validation. */
export interface TableSchema {
  readonly name: string
  readonly fields: ReadonlyMap<string, FieldSchema>
  readonly deletePolicy: DeletePolicy
}

/** A validated schema, as returned by `defineSchema`; `D` keeps the definition's literal types. */
export interface Schema<D extends SchemaDefinition = SchemaDefinition> {
  readonly database: string
  readonly tables: ReadonlyMap<string, TableSchema>
  readonly definition: D
}

/** A stored field value; `null` means the field has no value. */
export type FieldValue = string | number | boolean | null

/** The values of one row by field name. */
export type RowValues = Readonly<Record<string, FieldValue>>

type ValueOfType<F extends FieldDefinition> = F extends {
  type: 'choice'
  values: readonly (infer V)[]
}
  ? V
  : F['type'] extends 'number' | 'integer' | 'counter'
    ? number
    : F['type'] extends 'boolean'
      ? boolean
      : string

type ValueOfField<F extends FieldDefinition> = F extends { required: true }
  ? ValueOfType<F>
  : ValueOfType<F> | null

/** The values of a row of table `T`, typed from its definition. */
export type RowOf<T extends TableDefinition> = {
  -readonly [K in keyof T['fields']]: ValueOfField<T['fields'][K]>
}

/** The names of the tables of schema definition `D`. */
export type TableName<D extends SchemaDefinition> = keyof D['tables'] & string

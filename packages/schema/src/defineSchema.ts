import { parseSchema } from './parseSchema.ts'
import type { Schema, SchemaDefinition } from './Schema.ts'
import { SchemaError } from './SchemaError.ts'

/**
 * Defines a database schema, keeping the literal types of the definition so tables and rows
 * are typed.
 * @param definition - database name and tables with their fields
 * @throws {SchemaError} listing every issue when the definition is invalid
 */
export function defineSchema<const D extends SchemaDefinition>(definition: D): Schema<D> {
  const result = parseSchema(definition)
  if (!result.ok) throw new SchemaError(result.issues)
  return { ...result.schema, definition }
}

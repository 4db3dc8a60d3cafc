/** Thrown when a write names a row that does not exist on this device (or is deleted). */
export class RowNotFoundError extends Error {
  override readonly name = 'RowNotFoundError'

  /**
   * @param operation - what was refused, e.g. `update`
   * @param table - the table name
   * @param id - the row id
   */
  constructor(operation: string, table: string, id: string) {
    super(`${operation} of ${table}/${id} refused: no such row on this device`)
  }
}

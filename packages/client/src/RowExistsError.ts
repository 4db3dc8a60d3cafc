/** Thrown when an insert gives the id of a row that already exists on this device. */
export class RowExistsError extends Error {
  override readonly name = 'RowExistsError'

  /**
   * @param table - the table name
   * @param id - the row id
   */
  constructor(table: string, id: string) {
    super(`insert into ${table} refused: row ${id} already exists`)
  }
}

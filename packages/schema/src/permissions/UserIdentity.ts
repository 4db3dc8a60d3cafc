/** The user a device acts for, as a verified token names them. */
export interface UserIdentity {
  /** The user id; compared with the owner field of rows for `own` grants. */
  readonly id: string
  /** The user's role names; names the rules do not define grant nothing. */
  readonly roles: readonly string[]
}

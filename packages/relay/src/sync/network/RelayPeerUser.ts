/** The authenticated user a socket acts for, as the integrator's upgrade handler found it. */
export interface RelayPeerUser {
  /** Stable user id; peer ids are bound to it. */
  readonly id: string
  readonly roles: readonly string[]
}

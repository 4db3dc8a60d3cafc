import type {
  PermissionRules,
  RoleGrant,
  Schema,
  SchemaDefinition,
  UserIdentity,
} from '@rowsync/schema'

/** Named bounds on what peers may cost the relay; see `defaultLimits` for the defaults. */
export interface RelayLimits {
  /** The largest WebSocket frame a peer may send, in bytes. */
  readonly maxFrameBytes: number
  /** Messages one peer may send per second before it is throttled. */
  readonly messagesPerSecondPerPeer: number
  /** Bytes one peer may send per second before it is throttled; at least `maxFrameBytes`. */
  readonly bytesPerSecondPerPeer: number
  /** Devices (peers) one user may have connected at once. */
  readonly peersPerUser: number
  /** Row documents kept in memory at once; idle ones leave first. */
  readonly loadedDocuments: number
  /** Requests for document ids the relay does not hold, per peer and minute. */
  readonly unknownDocumentsPerMinute: number
  /** Open connections (HTTP and WebSocket) the relay accepts at once. */
  readonly maxConnections: number
}

/**
 * How the relay verifies tokens besides the HS256 secret, which comes only from env
 * `RELAY_AUTH_SECRET` and never from the config file.
 */
export interface RelayAuthConfig {
  /** Where the signing keys of an identity provider are published (https, or http on loopback). */
  readonly jwksUrl?: string
  /** The `iss` every token must carry. */
  readonly issuer?: string
  /** The `aud` every token must carry. */
  readonly audience?: string
}

/** Demo mode: named users who may sign in without a token issuer, for trying the relay out. */
export interface RelayDemoConfig {
  readonly enabled: boolean
  /** The demo users; each role is one the permission rules define. */
  readonly users: readonly UserIdentity[]
}

/** A relay configuration with every default applied, as `parseRelayConfig` returns it. */
export interface RelayConfig {
  /** The database the relay serves. */
  readonly schema: Schema
  /** Who may read and write which rows. */
  readonly permissions: PermissionRules
  /** The scheduled sync interval of every table, in minutes (5 to 1440, default 5). */
  readonly syncIntervalMinutes: Readonly<Record<string, number>>
  /** Browser origins allowed to connect; `['*']` allows every origin, `[]` (default) none. */
  readonly origins: readonly string[]
  readonly auth: RelayAuthConfig
  readonly demo: RelayDemoConfig
  readonly limits: RelayLimits
}

/** A relay configuration as written in a config file: everything but `schema` and `permissions` is optional. */
export interface RelayConfigFile {
  readonly schema: SchemaDefinition
  readonly permissions: {
    readonly roles: Readonly<Record<string, RoleGrant>>
    readonly owners?: Readonly<Record<string, string>>
  }
  readonly syncIntervalMinutes?: Readonly<Record<string, number>>
  readonly origins?: readonly string[]
  readonly auth?: RelayAuthConfig
  readonly demo?: { readonly enabled?: boolean; readonly users?: readonly UserIdentity[] }
  readonly limits?: Partial<RelayLimits>
}

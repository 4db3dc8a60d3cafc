import type { Sync } from '@rowsync/client'
import type { BrowserLifecycleSource } from '@rowsync/policies'
import type { AppDatabase } from './appSchema.ts'
import type { Session } from './session.ts'

/** What every view of a signed-in app gets. */
export interface AppContext {
  readonly database: AppDatabase
  readonly sync: Sync
  readonly session: Session
  readonly lifecycle: BrowserLifecycleSource
  /** Shows another route, e.g. `#/orders/wo-1`. */
  navigate(hash: string): void
  /** Stops sync, closes the database and shows the sign-in screen. */
  signOut(): Promise<void>
}

/** A mounted view: its element and what to undo when it is replaced. */
export interface View {
  readonly element: HTMLElement
  dispose(): void
}

/**
 * Where the client reports what it cannot throw (a corrupt record found on open, a refused
 * remote change). Pino loggers fit as they are. Library code never writes to the console.
 */
export interface Logger {
  warn(details: Record<string, unknown>, message: string): void
}

/** A logger that drops everything; the default. */
export const silentLogger: Logger = { warn: () => undefined }

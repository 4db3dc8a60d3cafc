import type { ErrorRequestHandler } from 'express'
import { serverErrorKey } from './requestLogger.ts'
import { sendError } from './sendError.ts'

/** Messages for the client errors Express's body parser raises, by its `type`. */
const bodyErrorMessages: Record<string, string> = {
  'entity.parse.failed': 'request body is not valid JSON',
  'entity.too.large': 'request body is too large',
  'encoding.unsupported': 'request body encoding is not supported',
  'charset.unsupported': 'request body charset is not supported',
  'request.aborted': 'request aborted',
  'request.size.invalid': 'request body size does not match Content-Length',
}

/**
 * The app's last error handler: answers every error as JSON `{ error }`, never with a stack.
 * A client error (an error with a 4xx `status`, as Express, its body parser and http-errors
 * raise) keeps its status; body parser errors get a fixed message (for example malformed
 * JSON → 400 `request body is not valid JSON`), since parser messages quote the body, and
 * other errors show their message only when marked `expose`. Anything else
 * is a 500 `internal error`; its name, message and stack go to the request's log line only.
 */
export const jsonErrorHandler: ErrorRequestHandler = (error: unknown, _req, res, next) => {
  if (res.headersSent) {
    // Too late for a JSON body; Express's default handler closes the connection.
    next(error)
    return
  }
  const status = clientErrorStatus(error)
  if (status !== undefined) {
    sendError(res, status, clientErrorMessage(error, status))
    return
  }
  res.locals[serverErrorKey] =
    error instanceof Error
      ? { name: error.name, message: error.message, stack: error.stack }
      : { message: String(error) }
  sendError(res, 500, 'internal error')
}

function clientErrorStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const status = 'status' in error ? error.status : undefined
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined
}

function clientErrorMessage(error: unknown, status: number): string {
  const fallback = status === 400 ? 'bad request' : `request refused (${status})`
  if (typeof error !== 'object' || error === null) return fallback
  const type = 'type' in error ? error.type : undefined
  const known = typeof type === 'string' ? bodyErrorMessages[type] : undefined
  if (known !== undefined) return known
  // http-errors marks messages written for clients with `expose`.
  const exposed = 'expose' in error && error.expose === true && 'message' in error
  return exposed && typeof error.message === 'string' ? error.message : fallback
}

import type { Response } from 'express'

/** The body of every error response: a message for people, never a stack or internal detail. */
export interface ErrorBody {
  error: string
  /** Present, and true, on responses from the demo routes. */
  demo?: true
}

/**
 * Ends a response with a JSON error body.
 * @param res - the response to end
 * @param status - the HTTP status
 * @param error - a short message for the client
 * @param extra - more fields of the body
 */
export function sendError(
  res: Response,
  status: number,
  error: string,
  extra: Omit<ErrorBody, 'error'> = {},
): void {
  res.status(status).json({ error, ...extra } satisfies ErrorBody)
}

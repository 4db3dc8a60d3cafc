import type { RequestHandler } from 'express'
import { sendError } from './sendError.ts'

/** The app's last route: 404 JSON `{ error: 'not found' }` for anything no route matched. */
export const notFound: RequestHandler = (_req, res) => {
  sendError(res, 404, 'not found')
}

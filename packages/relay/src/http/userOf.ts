import type { Response } from 'express'
import type { AuthUser } from '../auth/AuthResult.ts'

/** Where {@link requireUser} leaves the authenticated user on `res.locals`. */
export const userKey = 'user'

/**
 * The user `requireUser` authenticated for this request.
 * @param res - the response of a request that passed `requireUser`
 * @returns the user from `res.locals.user`
 * @throws {Error} when the route is not behind `requireUser` (a bug in the route's wiring)
 */
export function userOf(res: Response): AuthUser {
  const user: unknown = res.locals[userKey]
  if (typeof user !== 'object' || user === null) {
    throw new Error(
      'userOf: no authenticated user on res.locals; mount the route after requireUser',
    )
  }
  return user as AuthUser
}

import type { Request } from 'express'

/** The outcome of {@link queryInteger}: the number, or a message for a 400 response. */
export type QueryIntegerResult = { ok: true; value: number } | { ok: false; error: string }

/**
 * Reads a whole-number query parameter, e.g. `since` or `limit`.
 * @param req - the request
 * @param name - the parameter
 * @param bounds - the smallest and largest accepted values, and the value when it is absent
 */
export function queryInteger(
  req: Request,
  name: string,
  bounds: { min: number; max: number; default: number },
): QueryIntegerResult {
  const raw: unknown = req.query[name]
  if (raw === undefined) return { ok: true, value: bounds.default }
  const value = typeof raw === 'string' && /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN
  if (!Number.isSafeInteger(value) || value < bounds.min || value > bounds.max) {
    return {
      ok: false,
      error: `${name} must be a whole number from ${bounds.min} to ${bounds.max}`,
    }
  }
  return { ok: true, value }
}

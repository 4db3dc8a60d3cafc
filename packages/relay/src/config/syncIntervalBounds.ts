/**
 * The scheduled sync interval of a table in minutes: the default and the range a config may
 * choose from, as mobile offline profiles allow (DESIGN.md, "Sync").
 */
export const syncIntervalBounds = Object.freeze({ default: 5, min: 5, max: 1440 })

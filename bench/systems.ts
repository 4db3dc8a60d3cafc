/** The systems the benchmarks compare, by the id used on the command line and in result files. */
export const systemNames = {
  'rowsync-memory': 'Rowsync (memory)',
  'rowsync-lmdb': 'Rowsync (LMDB)',
  automerge: 'Automerge',
  yjs: 'Yjs',
  loro: 'Loro',
  'rowsync-relay': 'Rowsync (relay)',
  'automerge-repo': 'automerge-repo (stock)',
} as const

/** The id of a benchmarked system. */
export type SystemId = keyof typeof systemNames

/** Whether a string is the id of a benchmarked system. */
export function isSystemId(value: string): value is SystemId {
  return Object.hasOwn(systemNames, value)
}

/** The display name of a system id, or the id itself for a system this version does not know. */
export function systemName(id: string): string {
  return isSystemId(id) ? systemNames[id] : id
}

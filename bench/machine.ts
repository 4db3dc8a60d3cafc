import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Where a result was measured: hardware, runtime, the versions of the CRDT libraries, Rowsync's commit. */
export interface Machine {
  readonly cpu: string
  readonly cores: number
  readonly memoryBytes: number
  readonly os: string
  readonly node: string
  /** The 1-minute load average when the description was taken: other work skews timings. */
  readonly loadAverage: number
  /** Installed versions by package name; `unknown` when a package cannot be found. */
  readonly packages: Readonly<Record<string, string>>
  /** The git commit of the measured code; `dirty` when the working tree had changes. */
  readonly commit: string
}

/** The packages whose versions every result records. */
export const recordedPackages = [
  '@automerge/automerge',
  '@automerge/automerge-repo',
  'yjs',
  'loro-crdt',
  'lmdb',
] as const

/** The machine this process runs on. */
export function describeMachine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryBytes: totalmem(),
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    loadAverage: loadavg()[0] ?? 0,
    packages: Object.fromEntries(recordedPackages.map((name) => [name, packageVersion(name)])),
    commit: gitCommit(),
  }
}

/** The version of an installed package, found from its entry point upwards. */
function packageVersion(name: string): string {
  let directory: string
  try {
    directory = dirname(fileURLToPath(import.meta.resolve(name)))
  } catch {
    return 'unknown'
  }
  for (;;) {
    const file = join(directory, 'package.json')
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as {
        name?: unknown
        version?: unknown
      }
      if (manifest.name === name && typeof manifest.version === 'string') return manifest.version
    }
    const parent = dirname(directory)
    if (parent === directory) return 'unknown'
    directory = parent
  }
}

function gitCommit(): string {
  const git = (...args: string[]): string =>
    execFileSync('git', args, {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      encoding: 'utf8',
    })
  try {
    const commit = git('rev-parse', '--short=12', 'HEAD').trim()
    return git('status', '--porcelain', '--untracked-files=no').trim() === ''
      ? commit
      : `${commit} dirty`
  } catch {
    return 'unknown'
  }
}

// Just enough of vitest's test API to run a suite written for vitest inside a browser page:
// describe, it (with it.fails and the onTestFinished context), beforeEach, and vitest's own
// `expect` (@vitest/expect on chai, set up as vitest sets it up). The page bundle aliases
// 'vitest' to this file, so the storage conformance suite runs unchanged.
import {
  chai,
  getState,
  JestAsymmetricMatchers,
  JestChaiExpect,
  JestExtend,
  setState,
  type ExpectStatic,
} from '@vitest/expect'

chai.use(JestExtend)
chai.use(JestChaiExpect)
chai.use(JestAsymmetricMatchers)

type Context = Record<string, unknown> & { onTestFinished(hook: () => unknown): void }
type Body = (context: Context) => unknown
type Hook = (context: Context) => unknown

interface Case {
  readonly title: string
  readonly body: Body
  readonly failing: boolean
  readonly hooks: readonly Hook[]
}

/** The outcome of one case, as the page reports it. */
export interface CaseResult {
  readonly title: string
  readonly passed: boolean
  readonly error?: string
}

const cases: Case[] = []
const titles: string[] = []
const hookStack: Hook[][] = [[]]

/** `expect` as vitest builds it, without the runner's bookkeeping. */
export const expect = ((value: unknown, message?: string) => {
  const { assertionCalls } = getState(expect)
  setState({ assertionCalls: assertionCalls + 1 }, expect)
  return chai.expect(value, message)
}) as unknown as ExpectStatic
Object.assign(expect, chai.expect)
setState({ assertionCalls: 0, isExpectingAssertions: false }, expect)

export function describe(title: string, body: () => void): void {
  titles.push(title)
  hookStack.push([])
  try {
    body()
  } finally {
    hookStack.pop()
    titles.pop()
  }
}

export function beforeEach(hook: Hook): void {
  hookStack.at(-1)?.push(hook)
}

function register(failing: boolean, title: string, body: Body): void {
  cases.push({ title: [...titles, title].join(' > '), body, failing, hooks: hookStack.flat() })
}

export const it = Object.assign(
  (title: string, body: Body, _timeout?: number) => register(false, title, body),
  { fails: (title: string, body: Body, _timeout?: number) => register(true, title, body) },
)
export const test = it

/** Runs every registered case in order; a `fails` case passes when its body throws. */
export async function runRegistered(): Promise<CaseResult[]> {
  const results: CaseResult[] = []
  for (const { title, body, failing, hooks } of cases) {
    const finished: Array<() => unknown> = []
    const context: Context = { onTestFinished: (hook) => finished.push(hook) }
    let error: unknown
    let threw = false
    try {
      for (const hook of hooks) {
        const teardown = await hook(context)
        if (typeof teardown === 'function') finished.push(teardown as () => unknown)
      }
      await body(context)
    } catch (caught) {
      threw = true
      error = caught
    }
    for (const hook of finished.reverse()) await hook()
    const passed = failing ? threw : !threw
    results.push({
      title,
      passed,
      ...(passed
        ? {}
        : {
            error: failing
              ? 'expected to fail (a known failure), but passed: remove it from knownFailures'
              : error instanceof Error
                ? error.message
                : String(error),
          }),
    })
  }
  return results
}

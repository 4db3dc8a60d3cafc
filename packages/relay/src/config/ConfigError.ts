/** One problem with a relay config, with the dotted path of the bad key (`''` for the whole file). */
export interface ConfigIssue {
  readonly path: string
  readonly message: string
}

/**
 * Thrown by `loadRelayConfig` when a config file cannot be read, is not JSON or is invalid;
 * the message names every bad key.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly issues: readonly ConfigIssue[]

  /**
   * @param source - what was read, e.g. the file path
   * @param issues - every issue found
   * @param options - the `cause`, if any
   */
  constructor(source: string, issues: readonly ConfigIssue[], options?: ErrorOptions) {
    const lines = issues.map(
      (issue) => `  ${issue.path === '' ? '(file)' : issue.path}: ${issue.message}`,
    )
    super(`Invalid relay config ${source}:\n${lines.join('\n')}`, options)
    this.issues = issues
  }
}

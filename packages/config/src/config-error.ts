import { type ConfigProblem, formatProblem } from "./problem.js";

/**
 * A config file that cannot be used, with every problem found (not just the first), one per line:
 * `mailhook.yaml: mailboxes[0].port: must be a port number (1-65535) (line 7, column 11)`.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code = "config_invalid";
  /** Starting again with the same file fails the same way. */
  readonly retryable = false;
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.problems = problems;
  }
}

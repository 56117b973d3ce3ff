import pino from "pino";
import { CENSOR, scrub, scrubString } from "./scrub.js";

export type Logger = pino.Logger;

export interface LoggerOptions {
  /** Becomes the `service` field of every line (`watcher`, `worker`, `api`, ...). */
  name: string;
  /** pino level name; `silent` for tests that do not want output. Defaults to `info`. */
  level?: string;
  /** Where JSON lines go; stdout when omitted. Tests pass an in-memory stream. */
  destination?: NodeJS.WritableStream | pino.DestinationStream;
}

/**
 * Known secret locations, redacted by pino itself. Only fixed paths: each wildcard path (`*.password`,
 * `*.*.password`) costs pino's redactor 3-4 µs per line (measured: all the wildcard paths together took
 * a line from about 4 µs to 26 µs). The key-based walk in scrub.ts already censors these key names at
 * every depth for about 1-3 µs, so wildcards would add cost and no coverage.
 */
export const REDACT_PATHS = [
  "password",
  "pass",
  "secret",
  "secrets",
  "token",
  "accessToken",
  "refreshToken",
  "authorization",
  "cookie",
  "auth.pass",
  "auth.password",
  "auth.accessToken",
  "headers.authorization",
  "headers.cookie",
  'headers["set-cookie"]',
  "mailbox.password",
  "mailbox.auth.pass",
  "endpoint.secret",
  "endpoint.secrets",
  "endpoint.headers.authorization",
  "config.password",
  "config.headers.authorization",
  "req.headers.authorization",
  "req.headers.cookie",
];

/**
 * A JSON logger with ISO timestamps, a `service` field, and secrets redacted twice: by pino's path
 * redaction for known locations and by a key-based walk over every logged object, child binding and
 * error, at any depth (up to 12 levels; deeper values are replaced by "[depth]").
 *
 * @example
 * const log = createLogger({ name: "watcher" });
 * log.child({ mailboxId }).info({ uid }, "enqueued");
 */
export function createLogger(opts: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    level: opts.level ?? "info",
    base: { service: opts.name, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: CENSOR },
    formatters: {
      level: (label) => ({ level: label }),
      // Only the root's base fields pass here; children are scrubbed in scrubBindings().
      bindings: (bindings) => scrub(bindings) as Record<string, unknown>,
      log: (obj) => scrub(obj) as Record<string, unknown>,
    },
    // The walk has already turned errors into plain objects; these keep pino's own `err` handling from
    // re-expanding them and scrub the message text (URLs with passwords end up in messages too).
    serializers: {
      err: (e: unknown) => scrub(e),
      error: (e: unknown) => scrub(e),
      msg: (m: unknown) => (typeof m === "string" ? scrubString(m) : m),
    },
  };
  const destination = opts.destination as pino.DestinationStream | undefined;
  const logger = destination ? pino(options, destination) : pino(options);
  return scrubBindings(logger);
}

/**
 * pino applies `formatters.bindings` to the root's base fields only and resets it for children, so
 * `log.child({ mailbox })` would bypass the walk. Children are created with Object.create(parent),
 * so overriding `child` and `setBindings` on the root covers every descendant.
 */
function scrubBindings(logger: Logger): Logger {
  const child = logger.child;
  const setBindings = logger.setBindings;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, scrub(bindings) as pino.Bindings, childOptions);
  } as Logger["child"];
  logger.setBindings = function (this: Logger, bindings) {
    setBindings.call(this, scrub(bindings) as pino.Bindings);
  };
  return logger;
}

/**
 * Key-based redaction at any depth. pino's `redact` paths only reach the shapes we predicted; this walk
 * is the safety net for everything else (an imapflow options object logged by mistake, an error
 * carrying a request config, a header map three levels down).
 */

export const CENSOR = "[redacted]";

/** Keys whose values are always secrets, compared lower-cased with `-` and `_` removed. */
const SECRET_KEYS = new Set([
  "password",
  "passwd",
  "pass",
  "pwd",
  "secret",
  "secrets",
  "token",
  "tokens",
  "accesstoken",
  "refreshtoken",
  "idtoken",
  "authorization",
  "proxyauthorization",
  "cookie",
  "setcookie",
  "apikey",
  "xapikey",
  "clientsecret",
  "privatekey",
  "encryptionkey",
  "masterkey",
  "credentials",
]);

/** Suffixes that mark a secret in compound names: imapPassword, webhookSecret, nextPageToken, x-api-key. */
const SECRET_SUFFIX = /(password|passwd|secret|secrets|token|apikey|privatekey)$/;

// Logs reuse a small set of key names; remembering the verdict keeps the walk cheap.
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 5_000;

export function isSecretKey(key: string): boolean {
  const known = verdicts.get(key);
  if (known !== undefined) return known;
  const k = key.toLowerCase().replace(/[-_]/g, "");
  const secret = SECRET_KEYS.has(k) || SECRET_SUFFIX.test(k);
  if (verdicts.size < MAX_VERDICTS) verdicts.set(key, secret);
  return secret;
}

// `scheme://user:password@host` (Redis, IMAP, proxy URLs) and Standard Webhooks secrets inside free text.
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)([^\s@/]+)@/gi;
const WEBHOOK_SECRET = /whsec_[A-Za-z0-9+/=_-]+/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;

/** Removes credentials that hide inside a free-text string (a message, a URL, an error text). */
export function scrubString(s: string): string {
  if (!s.includes("://") && !s.includes("whsec_") && !/Bearer|Basic/.test(s)) return s;
  return s
    .replace(URL_CREDENTIALS, `$1${CENSOR}@`)
    .replace(WEBHOOK_SECRET, CENSOR)
    .replace(BEARER, `$1 ${CENSOR}`);
}

const MAX_DEPTH = 12;

/**
 * Returns a redacted copy; the caller's object is never mutated (it may be a live config or a job).
 * Errors become plain objects (`type`, `message`, `stack`, own fields) so they serialise at all.
 */
export function scrub(value: unknown): unknown {
  return walk(value, 0, new WeakSet());
}

function walk(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === "string") return scrubString(value);
  if (typeof value === "bigint") return value.toString();
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return "[circular]";
  if (depth >= MAX_DEPTH) return "[depth]";
  if (value instanceof Error) return walkObject(errorFields(value), depth, seen, value);
  if (value instanceof Date) return value;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
  if (value instanceof Map) return walkObject(Object.fromEntries(value), depth, seen, value);
  // fetch() request/response headers have no own keys; without this they would log as {}.
  if (isHeaders(value)) return walkObject(Object.fromEntries(value.entries()), depth, seen, value);
  if (value instanceof Set) return walk([...value], depth, seen);
  if (Array.isArray(value)) {
    seen.add(value);
    const out = value.map((v) => walk(v, depth + 1, seen));
    seen.delete(value);
    return out;
  }
  // Objects with their own toJSON (URL, Decimal, ...) serialise as their JSON form; scrub that.
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return walk(toJSON.call(value), depth, seen);
  return walkObject(value as Record<string, unknown>, depth, seen, value);
}

function walkObject(
  obj: Record<string, unknown>,
  depth: number,
  seen: WeakSet<object>,
  identity: object,
): Record<string, unknown> {
  seen.add(identity);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj)) {
    const v = read(obj, key);
    out[key] =
      isSecretKey(key) && v !== null && v !== undefined && typeof v !== "boolean"
        ? CENSOR
        : walk(v, depth + 1, seen);
  }
  seen.delete(identity);
  return out;
}

/**
 * A fetch `Headers` object, told by its tag: on Node 20 merely reading the global `Headers` loads
 * undici (about 40 ms, measured in bench/start.ts's profile), and the first log call would pay it
 * in a service that never uses fetch.
 */
function isHeaders(value: object): value is Headers {
  return Object.prototype.toString.call(value) === "[object Headers]" && "entries" in value;
}

/** A throwing getter on a logged object must not turn a log call into a crash. */
function read(obj: Record<string, unknown>, key: string): unknown {
  try {
    return obj[key];
  } catch {
    return "[unreadable]";
  }
}

function errorFields(err: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { type: err.constructor?.name ?? err.name, message: err.message };
  if (err.stack) out.stack = err.stack;
  for (const key of Object.keys(err)) {
    if (key !== "stack" && key !== "message") out[key] = read(err as unknown as Record<string, unknown>, key);
  }
  // `cause` is usually non-enumerable (set through the constructor option); keep the chain visible.
  if (err.cause !== undefined && !("cause" in out)) out.cause = err.cause;
  if (err instanceof AggregateError) out.errors = err.errors;
  return out;
}

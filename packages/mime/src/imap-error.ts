/**
 * A command the IMAP server answered NO or BAD (or that failed on the wire), with the server's own
 * words: imapflow's error says only "Command failed" and keeps the answer in `responseStatus`,
 * `serverResponseCode` and `responseText`.
 */
export class ImapCommandFailed extends Error {
  readonly code = "IMAP_COMMAND_FAILED";
  /** A NO or BAD is about this command and these messages: trying again unchanged gives the same. */
  readonly retryable: boolean;
  constructor(
    readonly command: string,
    /** `BAD [CODE] text` as the server sent it, or the client's error message. */
    readonly serverText: string,
    retryable: boolean,
  ) {
    super(`${command} failed: ${serverText}`);
    this.name = "ImapCommandFailed";
    this.retryable = retryable;
  }
}

function field(err: object, name: string): string | undefined {
  const v = (err as Record<string, unknown>)[name];
  return typeof v === "string" && v.trim() ? v.trim() : undefined;
}

/**
 * The server's answer to a failed command (`BAD [TOOBIG] Command line too large`), else the
 * error's message. Bounded: a server may answer with anything.
 */
export function serverErrorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err).slice(0, 500);
  const status = field(err, "responseStatus");
  const code = field(err, "serverResponseCode");
  const text = field(err, "responseText");
  if (!status && !text) return err.message.slice(0, 500);
  return [status, code ? `[${code}]` : undefined, text ?? err.message]
    .filter(Boolean)
    .join(" ")
    .slice(0, 500);
}

/** Wraps what a client command threw, keeping the server's text; a NO/BAD is not retryable as is. */
export function commandFailed(command: string, err: unknown): ImapCommandFailed {
  if (err instanceof ImapCommandFailed) return err;
  const status = err instanceof Error ? field(err, "responseStatus") : undefined;
  return new ImapCommandFailed(command, serverErrorText(err), status !== "NO" && status !== "BAD");
}

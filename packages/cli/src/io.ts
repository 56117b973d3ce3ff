/** Where a command writes and reads: the process's streams, or buffers in tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Progress bars redraw one line on a terminal and print a line per step elsewhere. */
  isTTY: boolean;
  readStdin(): Promise<string>;
  /** Waits between polls (tests pass a shorter wait). */
  sleep(ms: number): Promise<void>;
}

export function processIo(): CliIo {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    isTTY: process.stderr.isTTY === true,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}

/** A usage mistake (exit code 2), as opposed to a refusal by the API (exit code 1). */
export class UsageError extends Error {
  override name = "UsageError";
}

import { createClient, type MailhookClient } from "@mailhook/client";
import { defaultConfigPath, loadConfig } from "./config-file.js";
import { type CliIo, UsageError } from "./io.js";

export interface GlobalOptions {
  config?: string;
  url?: string;
  token?: string;
  json?: boolean;
}

/** What every command gets: where to write, how to answer (--json), and the API client. */
export interface Ctx {
  io: CliIo;
  json: boolean;
  configPath: string;
  /** How long to wait between polls (tail, backfill progress). */
  pollMs: number;
  client(): Promise<MailhookClient>;
  /** Set by a command whose answer is a failure that is not an error (a mailbox test that failed). */
  exitCode: number;
  /** Prints `value` as JSON with --json, else the human text. */
  emit(value: unknown, human: string): void;
}

export function makeCtx(io: CliIo, g: GlobalOptions, pollMs: number): Ctx {
  const configPath = g.config ?? defaultConfigPath();
  const json = g.json === true;
  return {
    io,
    json,
    configPath,
    pollMs,
    exitCode: 0,
    async client() {
      const saved = await loadConfig(configPath);
      const url = g.url ?? saved?.url;
      const token = g.token ?? saved?.token;
      if (!url || !token) throw new UsageError("not logged in: run `mailhook login --url <api url>` first");
      return createClient({ baseUrl: url, token, userAgent: "mailhook-cli" });
    },
    emit(value, human) {
      io.out(json ? `${JSON.stringify(value, null, 2)}\n` : human.endsWith("\n") ? human : `${human}\n`);
    },
  };
}

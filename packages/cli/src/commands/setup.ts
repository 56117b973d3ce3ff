import type { MailboxCreateInput, MailboxStatus } from "@mailhook/api-schema";
import { allPages, createClient } from "@mailhook/client";
import type { Command } from "commander";
import { saveConfig } from "../config-file.js";
import type { Ctx } from "../context.js";
import { UsageError } from "../io.js";

async function secretFrom(ctx: Ctx, flag: string | undefined, fromStdin: boolean | undefined, what: string) {
  if (flag) return flag;
  if (fromStdin) return (await ctx.io.readStdin()).trim();
  throw new UsageError(`give the ${what} with --${what} or --${what}-stdin`);
}

function statusLines(s: MailboxStatus): string[] {
  return [
    `${s.mailboxId}: ${s.state}`,
    ...s.folders.map((f) => {
      const since = f.since ? ` since ${f.since}` : "";
      const err = f.lastError ? ` — ${f.lastError}` : "";
      const owner = f.owner ? ` (watcher ${f.owner})` : "";
      return `  ${f.folder}: ${f.state}${since}${owner}${err}`;
    }),
  ];
}

export function registerSetup(program: Command, ctx: () => Ctx): void {
  program
    .command("login")
    .description("check a token against the API and remember URL + token (file mode 600)")
    .usage("--url <api url> (--token <token> | --token-stdin)")
    .option("--token-stdin", "read the token from standard input (keeps it out of shell history)")
    .action(async (o: { tokenStdin?: boolean }, cmd: Command) => {
      const c = ctx();
      // --url and --token are the program's own options, given before or after `login`.
      const g = cmd.optsWithGlobals<{ url?: string; token?: string }>();
      if (!g.url) throw new UsageError("give the API with --url, e.g. --url http://127.0.0.1:8787");
      const token = await secretFrom(c, g.token, o.tokenStdin, "token");
      const rules = await createClient({ baseUrl: g.url, token }).rules.list({ limit: 1 });
      await saveConfig(c.configPath, { url: g.url, token });
      c.emit(
        { url: g.url, config: c.configPath, ok: true },
        `logged in to ${g.url} (${rules.data.length ? "rules found" : "no rules yet"}); saved to ${c.configPath}`,
      );
    });

  const mailboxes = program.command("mailboxes").description("IMAP mailboxes");
  mailboxes
    .command("add")
    .description("add a mailbox; the API logs in first and answers with the server's words if it cannot")
    .requiredOption("--address <email>", "shown in webhook payloads")
    .requiredOption("--host <host>", "IMAP server")
    .option("--port <n>", "IMAP port (default 993)", (v) => Number.parseInt(v, 10))
    .option("--tls <mode>", "implicit (default), starttls or none")
    .option("--no-tls-verify", "do not verify the server certificate (servers you control only)")
    .option("--user <user>", "login name (default: the address)")
    .option("--password <password>", "or --password-stdin (keeps it out of shell history)")
    .option("--password-stdin", "read the password from standard input")
    .option("--folder <name...>", "folders to watch (default INBOX)")
    .option("--start <start>", "new (default), all, or a date: only mail since then")
    .option("--no-verify", "save without logging in first")
    .action(async (o: Record<string, string | number | boolean | string[] | undefined>) => {
      const c = ctx();
      const password = await secretFrom(
        c,
        o.password as string | undefined,
        o.passwordStdin as boolean | undefined,
        "password",
      );
      const start = o.start as string | undefined;
      const body: MailboxCreateInput = {
        address: o.address as string,
        host: o.host as string,
        ...(o.port !== undefined ? { port: o.port as number } : {}),
        ...(o.tls !== undefined ? { tls: o.tls as "implicit" | "starttls" | "none" } : {}),
        tlsVerify: o.tlsVerify !== false,
        auth: { type: "password", user: (o.user as string | undefined) ?? (o.address as string), password },
        ...(o.folder ? { folders: o.folder as string[] } : {}),
        ...(start === undefined
          ? {}
          : start === "new" || start === "all"
            ? { start }
            : { start: { since: new Date(start).toISOString() } }),
      };
      const mh = await c.client();
      const created = await mh.mailboxes.create(body, { verify: o.verify !== false });
      c.emit(
        created,
        `added mailbox ${created.id} (${created.address}), watching ${created.folders.join(", ")}`,
      );
    });
  mailboxes
    .command("test <id>")
    .description("log in with the saved settings and list the folders")
    .action(async (id: string) => {
      const c = ctx();
      const r = await (await c.client()).mailboxes.test(id);
      c.emit(
        r,
        r.ok
          ? `ok in ${Math.round(r.ms)} ms; folders: ${r.folders.map((f) => f.path).join(", ")}`
          : `failed${r.authFailed ? " (login refused)" : ""}: ${r.error}`,
      );
      if (!r.ok) c.exitCode = 1;
    });
  mailboxes
    .command("status [id]")
    .description("each folder's live state: connected, auth-failed or error, since when, the last error")
    .action(async (id: string | undefined) => {
      const c = ctx();
      const mh = await c.client();
      const ids: string[] = [];
      if (id) ids.push(id);
      else for await (const m of allPages((p) => mh.mailboxes.list(p))) ids.push(m.id);
      const all = await Promise.all(ids.map((i) => mh.mailboxes.status(i)));
      c.emit(id ? all[0] : all, all.length ? all.flatMap(statusLines).join("\n") : "no mailboxes");
    });
}

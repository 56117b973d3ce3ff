import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CliIo, run } from "@mailhook/cli";
import { makeMail } from "@mailhook/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliEntry } from "../scripts/build.mjs";
import { useInstallation } from "./support/installation.js";
import { waitUntil } from "./support/stack.js";
import { useWorld } from "./support/world.js";

const BIN = fileURLToPath(new URL("../packages/cli/bin/mailhook.mjs", import.meta.url));
const world = useWorld();
const start = useInstallation(world);
let dir: string;

beforeAll(async () => {
  // A space in the path: the CLI must not care where its config lives.
  dir = await mkdtemp(join(tmpdir(), "mailhook cli "));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The real `mailhook` bin as a user runs it (it runs the bundle the global setup keeps fresh). */
function bin(
  args: string[],
  stdin = "",
  script = BIN,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out, err }));
    child.stdin.end(stdin);
  });
}

/** The CLI in-process with its output captured. */
function cli(config: string) {
  let out = "";
  let err = "";
  const io: CliIo = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    isTTY: false,
    readStdin: async () => "",
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
  return async (...args: string[]) => {
    out = "";
    err = "";
    const code = await run(["--config", config, ...args], io, { pollMs: 100 });
    return { code, out, err };
  };
}

describe("the mailhook CLI against a real api", () => {
  it("login keeps URL + token in a 0600 file; the bin answers with the API's reason on refusal", async () => {
    const { url, token } = await start();
    const config = join(dir, "login", "cli.json");
    const login = await bin(["--config", config, "login", "--url", url, "--token-stdin"], `${token}\n`);
    expect(login.err).toBe("");
    expect(login.code).toBe(0);
    expect(login.out).toContain(`logged in to ${url}`);
    expect((await stat(config)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(config, "utf8"))).toEqual({ url, token });

    const status = await bin(["--config", config, "--json", "mailboxes", "status"]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)).toEqual([]);

    // The production bundle alone, with no node_modules anywhere near it, does the same.
    const alone = join(dir, "alone");
    await mkdir(alone);
    await copyFile(cliEntry, join(alone, "mailhook.mjs"));
    const standalone = await bin(
      ["--config", config, "--json", "mailboxes", "status"],
      "",
      join(alone, "mailhook.mjs"),
    );
    expect(standalone).toEqual(status);

    const refused = await bin(["--config", config, "--token", "mh_not_a_token", "deliveries", "tail"]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^error: .+\n\(UNAUTHENTICATED, HTTP 401, request \S+\)\n$/);

    const bad = await bin(["--config", join(dir, "none.json"), "login", "--url", url, "--token", "mh_wrong"]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("UNAUTHENTICATED");
  });

  it("mailboxes, rules apply (twice), rules test, deliveries tail/show/replay and backfill with progress", async () => {
    const { url, token, client } = await start();
    const config = join(dir, "flow.json");
    await writeFile(config, JSON.stringify({ url, token }), { mode: 0o600 });
    const mh = cli(config);
    const user = await world.dovecot.createUser("cli");
    for (const n of [1, 2])
      await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: `Invoice old ${n}` }));
    const ep = await client.endpoints.create({ url: `${world.receiver.url}/cli-hook` });

    const imap = [
      "--address",
      `${user.user}@example.test`,
      "--host",
      "127.0.0.1",
      "--port",
      String(world.dovecot.port),
      "--tls",
      "none",
      "--user",
      user.user,
      "--password",
    ];
    const wrong = await mh("mailboxes", "add", ...imap, "nope");
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain("MAILBOX_VERIFY_FAILED");
    expect(wrong.err).toMatch(/auth|login|credentials/i);

    const added = await mh("--json", "mailboxes", "add", ...imap, user.pass);
    expect(added.code).toBe(0);
    const mbx = JSON.parse(added.out) as { id: string };
    const tested = await mh("mailboxes", "test", mbx.id);
    expect(tested).toMatchObject({ code: 0 });
    expect(tested.out).toMatch(/^ok in \d+ ms; folders: .*INBOX/);
    await waitUntil(
      async () => (await mh("mailboxes", "status", mbx.id)).out.includes("INBOX: connected"),
      15_000,
      "connected",
    );

    const rulesFile = join(dir, "rules.yaml");
    await writeFile(
      rulesFile,
      `rules:\n  - id: invoices\n    name: Invoices\n    when: { field: subject, op: contains, value: invoice }\n    actions: [{ type: webhook, endpoint: ${ep.id} }]\n`,
    );
    const first = await mh("rules", "apply", "-f", rulesFile);
    expect(first).toMatchObject({ code: 0, err: "" });
    expect(first.out).toBe(
      "+ invoices  create (Invoices)\napplied: 1 created, 0 changed, 0 deleted, 0 unchanged\n",
    );
    const second = await mh("rules", "apply", "-f", rulesFile);
    expect(second.out).toBe(`= invoices  unchanged\nno changes: 1 rule(s) already as in ${rulesFile}\n`);
    const etag = (await client.rules.get("invoices")).etag;
    await mh("rules", "apply", "-f", rulesFile);
    expect((await client.rules.get("invoices")).etag).toBe(etag);

    const eml = join(dir, "message.eml");
    await writeFile(eml, "From: Ann <ann@vendor.test>\r\nSubject: Invoice 9\r\n\r\nhello\r\n");
    const dry = await mh("rules", "test", eml);
    expect(dry.out).toBe(
      '"Invoice 9" from ann@vendor.test\n  ✓ rule invoices (Invoices) matched\n      ✓ subject contains "invoice"  — saw "Invoice 9"\n',
    );
    const latest = await mh("rules", "test", "--mailbox", mbx.id, "--latest", "2");
    expect(latest.out).toMatch(/^UID 2: "Invoice old 2"[^\n]*\n {2}✓ rule invoices/);
    expect(latest.out).toContain('UID 1: "Invoice old 1"');

    // A new message meets a failing receiver: it goes dead, the CLI shows why and replays it.
    world.receiver.setHandler(() => ({ status: 503, body: "try later" }));
    await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "Invoice new" }));
    await waitUntil(
      async () => (await client.deliveries.list({ status: "dead" })).data.length === 1,
      30_000,
      "dead",
    );
    const tail = await mh("deliveries", "tail", "--status", "dead");
    expect(tail.out).toMatch(
      /^\S+ {2}dead {6}(\S+) {2}rule invoices → \S+ {2}\S+\/INBOX UID 3 {2}\(.*503.*\)\n$/,
    );
    const id = (await client.deliveries.list({ status: "dead" })).data[0]?.id ?? "";
    const show = await mh("deliveries", "show", id);
    expect(show.out).toContain(`delivery ${id}: dead`);
    expect(show.out).toMatch(/ {2}1\. \S+ {2}503 {2}\d+ ms.* {2}"try later"/);
    expect(show.out).toContain('"subject": "Invoice new"');
    world.receiver.setHandler(() => ({ status: 200, body: "ok" }));
    const replay = await mh("deliveries", "replay", id);
    expect(replay.out).toMatch(new RegExp(`^replay of ${id} queued`));
    await waitUntil(async () => (await client.deliveries.get(id)).status === "delivered", 15_000, "replayed");

    // Backfill: SEARCH finds the two old messages and the new one; progress is drawn on stderr.
    const today = new Date().toISOString().slice(0, 10);
    const bf = await mh("backfill", mbx.id, "--since", today);
    expect(bf.code).toBe(0);
    const progress = bf.err.trim().split("\n");
    expect(progress[0]).toMatch(new RegExp(`^backfill bf_\\S+: 3 message\\(s\\) in INBOX since ${today}$`));
    expect(progress.at(-1)).toBe("[########################] 100%  3/3 processed, 0 failed");
    for (const l of progress.slice(1)) expect(l).toMatch(/^\[[#-]{24}\] +\d+% {2}\d\/3 processed, 0 failed$/);
    expect(bf.out).toMatch(/^done: 3 processed, 0 failed/);
    await waitUntil(
      async () => (await client.deliveries.list()).data.length === 3,
      15_000,
      "three deliveries",
    );
    const again = await mh("--json", "backfill", mbx.id, "--since", today);
    expect(JSON.parse(again.out)).toMatchObject({ total: 3, processed: 3, done: true });
    const all = await mh("--json", "deliveries", "tail");
    expect(all.out.trim().split("\n")).toHaveLength(3);
  });
});

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { ImapFlow, type ImapFlowOptions } from "imapflow";
import { findExecutable } from "./binaries.js";
import { trackDir } from "./children.js";
import { dovecotConfig, greeting, MAIL_GID, MAIL_UID, oauth2Config, type RunAs } from "./dovecot-config.js";
import { freePort, waitPortBindable } from "./free-port.js";
import { selfSignedCert } from "./self-signed-cert.js";
import { spawnAndWait, startLifecycle } from "./server-lifecycle.js";
import { spawnServer } from "./spawn-server.js";

export interface StartDovecotOptions {
  /** Replaces `imap_capability`, e.g. `"IMAP4rev1 IDLE"` to prove the fallbacks for MOVE or UIDPLUS. */
  capabilities?: string;
  /** Mail storage of every user: maildir (default) or mdbox. */
  mailFormat?: "maildir" | "mdbox";
  /** Accept XOAUTH2/OAUTHBEARER logins, validating tokens at this RFC 7662 introspection URL. */
  oauth2IntrospectionUrl?: string;
}

export interface TestClientOptions {
  /** Connect here instead of the plain port, e.g. a `startTcpProxy` port in front of Dovecot. */
  port?: number;
  /** Implicit TLS (on `tlsPort` unless `port` is given), verified against the test certificate. */
  tls?: boolean;
  /** Passed through to imapflow (e.g. `disableAutoIdle`); wins over the defaults above. */
  imapflow?: Partial<ImapFlowOptions>;
}

export interface ImapUser {
  user: string;
  pass: string;
}

export interface TestDovecot {
  host: "127.0.0.1";
  /** Plain IMAP (STARTTLS is offered but not required). */
  port: number;
  /** Implicit TLS with a self-signed certificate for localhost / 127.0.0.1 (see `certPath`). */
  tlsPort: number;
  dir: string;
  configPath: string;
  /** PEM of the self-signed certificate; pass it as `tls.ca` to verify the TLS listener. */
  certPath: string;
  /** A fresh user with a random password, usable at once (its own passwd-file; no restart). */
  createUser(prefix?: string): Promise<ImapUser>;
  /** IMAP APPEND through a short-lived client; creates the folder when missing. */
  append(user: string, folder: string, raw: Buffer | string, flags?: string[]): Promise<void>;
  /** `doveadm save`: seeds mail without IMAP (no IDLE push ordering guarantees). Creates the folder. */
  save(user: string, folder: string, raw: Buffer | string): Promise<void>;
  /** Creates the folder; succeeds when it exists already. */
  createFolder(user: string, folder: string): Promise<void>;
  /** Deletes the folder with its mail (recreating it later yields a new UIDVALIDITY). */
  deleteFolder(user: string, folder: string): Promise<void>;
  /** Open IMAP sessions per user right now (`doveadm who -1`); users without one are absent. */
  sessions(): Promise<Map<string, number>>;
  /**
   * A connected imapflow client on the plain port (no STARTTLS, `logger: false`). An 'error'
   * listener is attached so a killed server cannot crash the test process through an unhandled
   * 'error' event; failures still surface as rejected commands and a 'close' event.
   */
  client(user: ImapUser | string, opts?: TestClientOptions): Promise<ImapFlow>;
  /** Like `append`, over one connection: for seeding many messages quickly. */
  appendMany(user: string, folder: string, raws: (Buffer | string)[]): Promise<void>;
  /** The last `lines` lines of Dovecot's log (auth failures, crashes, …). */
  readLog(lines?: number): string;
  /** SIGKILL to the whole process group, like a crash. Mail stays on disk. */
  kill(): Promise<void>;
  /** Starts again on the same ports and dir after `kill()`. */
  start(): Promise<void>;
  /** `kill()` and remove the temp dir. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;
const START_ATTEMPTS = 3;
const MISSING =
  "dovecot is not installed: run `node scripts/ensure-dovecot.mjs` (as root it installs the Debian packages dovecot-imapd and openssl)";

let instanceSeq = 0;
let userSeq = 0;

/**
 * Starts a self-contained Dovecot (own temp dir, free ports, 127.0.0.1 only) and resolves once it
 * sends its `* OK` greeting.
 *
 * @example
 * const dovecot = await startDovecot();
 * const alice = await dovecot.createUser("alice");
 * await dovecot.append(alice.user, "INBOX", await makeMail({ subject: "hi" }));
 * afterAll(() => dovecot.stop());
 */
export async function startDovecot(opts: StartDovecotOptions = {}): Promise<TestDovecot> {
  const dovecotBin = findExecutable("dovecot");
  const doveadmBin = findExecutable("doveadm");
  if (!dovecotBin || !doveadmBin) throw new Error(MISSING);

  const rootless = process.getuid?.() === 0 ? undefined : currentIdentity();
  const dir = mkdtempSync(join(tmpdir(), "mailhook-dovecot-"));
  let certPem = "";
  const removeDir = trackDir(dir);
  try {
    // Dovecot's auth and mail processes run as other users and must be able to enter the dir.
    chmodSync(dir, 0o755);
    for (const sub of ["run", "state", "log", "mail"]) mkdirSync(join(dir, sub), { mode: 0o755 });
    if (!rootless) chownSync(join(dir, "mail"), MAIL_UID, MAIL_GID);
    const { cert, key } = await selfSignedCert();
    certPem = cert;
    writeFileSync(join(dir, "cert.pem"), cert, { mode: 0o644 });
    writeFileSync(join(dir, "key.pem"), key, { mode: 0o600 });
    mkdirSync(join(dir, "users"), { mode: 0o755 });
  } catch (err) {
    removeDir();
    throw err;
  }

  const configPath = join(dir, "dovecot.conf");
  const instanceName = `mailhook-test-${process.pid}-${++instanceSeq}-${randomBytes(3).toString("hex")}`;
  const users = new Map<string, string>();
  const life = await startLifecycle({
    attempts: START_ATTEMPTS,
    removeDir,
    async pickPorts() {
      const picked = { port: await freePort(), tlsPort: await freePort() };
      writeFileSync(configPath, dovecotConfig({ dir, instanceName, ...picked, ...opts, rootless }));
      if (opts.oauth2IntrospectionUrl) {
        writeFileSync(join(dir, "oauth2.conf.ext"), oauth2Config(opts.oauth2IntrospectionUrl));
      }
      return picked;
    },
    bindable: (p) => Promise.all([waitPortBindable(p.port), waitPortBindable(p.tlsPort)]).then(() => {}),
    launch(p) {
      // A SIGKILLed master leaves its pid file; a recycled pid would make Dovecot refuse to start.
      rmSync(join(dir, "run", "master.pid"), { force: true });
      const server = spawnServer(dovecotBin, ["-F", "-c", configPath], dir);
      const expect = ` ${greeting(instanceName)}\r\n`;
      return spawnAndWait(server, dir, p.port, { expect }, START_TIMEOUT_MS, "dovecot", (err) =>
        withLogTail(err, dir),
      );
    },
  });
  const ports = life.ports();

  const doveadm = (args: string[], input?: Buffer | string) =>
    runDoveadm(doveadmBin, ["-c", configPath, ...args], input);

  const createFolder = async (user: string, folder: string): Promise<void> => {
    if (folder.toUpperCase() === "INBOX") return;
    try {
      await doveadm(["mailbox", "create", "-u", user, folder]);
    } catch (err) {
      if (!/already exists/i.test(String(err))) throw err;
    }
  };

  const client = async (who: ImapUser | string, copts: TestClientOptions = {}): Promise<ImapFlow> => {
    const auth = typeof who === "string" ? { user: who, pass: users.get(who) } : who;
    if (auth.pass === undefined)
      throw new Error(`unknown test user ${String(who)}: create it with createUser()`);
    const imap = new ImapFlow({
      host: "127.0.0.1",
      port: copts.port ?? (copts.tls ? ports.tlsPort : ports.port),
      secure: copts.tls === true,
      // The plain port offers STARTTLS; staying in cleartext keeps proxied byte counts readable.
      doSTARTTLS: false,
      ...(copts.tls ? { tls: { ca: [certPem] } } : {}),
      auth: { user: auth.user, pass: auth.pass },
      logger: false,
      ...copts.imapflow,
    });
    imap.on("error", () => {});
    await imap.connect();
    return imap;
  };

  const appendAll = async (user: string, folder: string, raws: (Buffer | string)[], flags?: string[]) => {
    const imap = await client(user, { imapflow: { disableAutoIdle: true } });
    try {
      if (folder.toUpperCase() !== "INBOX") {
        try {
          await imap.mailboxCreate(folder);
        } catch (err) {
          if ((err as { serverResponseCode?: string }).serverResponseCode !== "ALREADYEXISTS") throw err;
        }
      }
      for (const raw of raws) {
        const done = await imap.append(folder, raw, flags);
        if (!done) throw new Error(`APPEND to ${folder} for ${user} failed`);
      }
    } finally {
      await imap.logout().catch(() => imap.close());
    }
  };

  return {
    host: "127.0.0.1",
    port: ports.port,
    tlsPort: ports.tlsPort,
    dir,
    configPath,
    certPath: join(dir, "cert.pem"),

    async createUser(prefix = "user") {
      if (!/^[A-Za-z0-9._-]+$/.test(prefix))
        throw new Error(`user prefix must match [A-Za-z0-9._-]+: ${prefix}`);
      const user = `${prefix}-${++userSeq}-${randomBytes(4).toString("hex")}`;
      const pass = randomBytes(9).toString("base64url");
      // Written to a temp name first so Dovecot never reads a half-written line.
      const file = join(dir, "users", `${user}.passwd`);
      await writeFile(`${file}.tmp`, `${user}:{PLAIN}${pass}::::::\n`, { mode: 0o644 });
      await rename(`${file}.tmp`, file);
      users.set(user, pass);
      return { user, pass };
    },

    append(user, folder, raw, flags) {
      return appendAll(user, folder, [raw], flags);
    },

    appendMany(user, folder, raws) {
      return appendAll(user, folder, raws);
    },

    readLog(lines = 50) {
      return tailLog(dir, lines);
    },

    async save(user, folder, raw) {
      await createFolder(user, folder);
      await doveadm(["save", "-u", user, "-m", folder], raw);
    },

    createFolder,

    async sessions() {
      const out = new Map<string, number>();
      const lines = (await doveadm(["who", "-1"])).split("\n").slice(1);
      for (const line of lines) {
        const [user, proto] = line.trim().split(/\s+/);
        if (user && proto === "imap") out.set(user, (out.get(user) ?? 0) + 1);
      }
      return out;
    },
    async deleteFolder(user, folder) {
      await doveadm(["mailbox", "delete", "-u", user, "-s", "-r", folder]);
    },

    client,
    kill: life.kill,
    start: life.start,
    stop: life.stop,
  };
}

function runDoveadm(bin: string, args: string[], input?: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(bin, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err)
        reject(new Error(`doveadm ${args.slice(2).join(" ")} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    child.stdin?.on("error", () => {});
    child.stdin?.end(input ?? "");
  });
}

function currentIdentity(): RunAs {
  const { uid, gid, username } = userInfo();
  let group = username;
  try {
    // Node has no getgrgid(); /etc/group is enough for the test machines this runs on.
    const line = readFileSync("/etc/group", "utf8")
      .split("\n")
      .find((l) => l.split(":")[2] === String(gid));
    group = line?.split(":")[0] || username;
  } catch {
    // Keep the user name as group name.
  }
  return { uid, gid, user: username, group };
}

function withLogTail(err: unknown, dir: string): Error {
  const message = err instanceof Error ? err.message : String(err);
  const log = tailLog(dir, 20);
  return new Error(log ? `${message}\n--- dovecot.log (tail) ---\n${log}` : message);
}

function tailLog(dir: string, lines: number): string {
  try {
    const text = readFileSync(join(dir, "log", "dovecot.log"), "utf8").trimEnd();
    return text.split("\n").slice(-lines).join("\n");
  } catch {
    // Dovecot died before it opened its log.
    return "";
  }
}

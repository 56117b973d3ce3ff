import { ImapFlow } from "imapflow";
import type { ImapUser, TestClientOptions, TestDovecot } from "./dovecot.js";

/** What the compatibility suites need from any IMAP server the harness runs. */
export interface TestImapServer {
  kind: "dovecot" | "cyrus" | "courier";
  host: "127.0.0.1";
  readonly port: number;
  /**
   * How a personal folder named `name` is spelled on this server: `name` where personal folders sit
   * at the root (Dovecot here), `INBOX.name` under Courier's and Cyrus's default namespace.
   */
  folder(name: string): string;
  createUser(prefix?: string): Promise<ImapUser>;
  append(user: string, folder: string, raw: Buffer | string, flags?: string[]): Promise<void>;
  appendMany(user: string, folder: string, raws: (Buffer | string)[]): Promise<void>;
  createFolder(user: string, folder: string): Promise<void>;
  deleteFolder(user: string, folder: string): Promise<void>;
  client(user: ImapUser | string, opts?: TestClientOptions): Promise<ImapFlow>;
  /** SIGKILL, like a crash: mail stays on disk. */
  kill(): Promise<void>;
  /** Starts again on the same port and data after `kill()`. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Dovecot's harness seen through the common interface. */
export function dovecotAsImapServer(d: TestDovecot): TestImapServer {
  return {
    kind: "dovecot",
    host: d.host,
    get port() {
      return d.port;
    },
    folder: (name) => name,
    createUser: (p) => d.createUser(p),
    append: (u, f, r, fl) => d.append(u, f, r, fl),
    appendMany: (u, f, r) => d.appendMany(u, f, r),
    createFolder: (u, f) => d.createFolder(u, f),
    deleteFolder: (u, f) => d.deleteFolder(u, f),
    client: (u, o) => d.client(u, o),
    kill: () => d.kill(),
    start: () => d.start(),
    stop: () => d.stop(),
  };
}

/** IMAP-only versions of the seeding helpers, for servers without a doveadm. */
export function imapOps(port: () => number, passwords: Map<string, string>) {
  const client = async (who: ImapUser | string, o: TestClientOptions = {}): Promise<ImapFlow> => {
    const auth = typeof who === "string" ? { user: who, pass: passwords.get(who) } : who;
    if (auth.pass === undefined)
      throw new Error(`unknown test user ${String(who)}: create it with createUser()`);
    const imap = new ImapFlow({
      host: "127.0.0.1",
      port: o.port ?? port(),
      secure: false,
      doSTARTTLS: false,
      auth: { user: auth.user, pass: auth.pass },
      logger: false,
      ...o.imapflow,
    });
    imap.on("error", () => {});
    await imap.connect();
    return imap;
  };
  const withClient = async <T>(user: string, fn: (c: ImapFlow) => Promise<T>): Promise<T> => {
    const c = await client(user, { imapflow: { disableAutoIdle: true } });
    try {
      return await fn(c);
    } finally {
      await c.logout().catch(() => c.close());
    }
  };
  const create = async (c: ImapFlow, folder: string) => {
    if (folder.toUpperCase() === "INBOX") return;
    const list = await c.list();
    if (list.some((m) => m.path === folder)) return;
    await c.mailboxCreate(folder);
  };
  const appendMany = (user: string, folder: string, raws: (Buffer | string)[], flags?: string[]) =>
    withClient(user, async (c) => {
      await create(c, folder);
      for (const raw of raws) {
        if (!(await c.append(folder, raw, flags))) throw new Error(`APPEND to ${folder} for ${user} failed`);
      }
    });
  return {
    client,
    append: (user: string, folder: string, raw: Buffer | string, flags?: string[]) =>
      appendMany(user, folder, [raw], flags),
    appendMany: (user: string, folder: string, raws: (Buffer | string)[]) => appendMany(user, folder, raws),
    createFolder: (user: string, folder: string) => withClient(user, (c) => create(c, folder)),
    deleteFolder: (user: string, folder: string) =>
      withClient(user, async (c) => void (await c.mailboxDelete(folder))),
  };
}

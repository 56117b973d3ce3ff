import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trackDir } from "./children.js";
import {
  DEBIAN_ROOT,
  debianServersUnavailable,
  mountPrelude,
  passwdWith,
  sh,
  spawnInNamespace,
} from "./debian-root.js";
import type { ImapUser } from "./dovecot.js";
import { freePort, waitPortBindable } from "./free-port.js";
import { imapOps, type TestImapServer } from "./imap-server.js";
import { spawnAndWait, startLifecycle } from "./server-lifecycle.js";

export interface StartCourierOptions {
  /** Replaces IMAP_CAPABILITY, e.g. without UIDPLUS to prove the EXPUNGE fallback. */
  capabilities?: string;
  /**
   * Realtime IDLE through gamin (IMAP_ENHANCEDIDLE=1, the default here). Debian ships 0, where
   * Courier re-reads the folder only every ~60 s (IMAP_IDLE_TIMEOUT) and pushes arrive that late.
   */
  enhancedIdle?: boolean;
}

const MAIL_UID = 5000;
const USERDB_LIBS = [`${DEBIAN_ROOT}/usr/lib`, `${DEBIAN_ROOT}/usr/lib/x86_64-linux-gnu`].join(":");
const MAKEDAT = `${DEBIAN_ROOT}/usr/lib/courier/courier-authlib/makedatprog`;
// Debian's imapd config with the capabilities this harness needs (no TLS, more sessions per IP).
const DEFAULT_CAPABILITY =
  "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE";
let seq = 0;

/**
 * Courier IMAP 5.0 (Debian's courier-imap) with authdaemond + userdb, on a free port of 127.0.0.1,
 * in its own mount + pid namespace (see debian-root.ts). Users are userdb entries with their own
 * Maildir; no restart is needed to add one.
 */
export async function startCourier(opts: StartCourierOptions = {}): Promise<TestImapServer> {
  const why = debianServersUnavailable();
  if (why) throw new Error(why);
  const dir = mkdtempSync(join(tmpdir(), "mailhook-courier-"));
  const removeDir = trackDir(dir);
  chmodSync(dir, 0o755);
  const etc = join(dir, "etc-courier");
  mkdirSync(etc, { mode: 0o755 });
  mkdirSync(join(dir, "mail"), { mode: 0o755 });
  for (const f of ["imapd", "imapd-ssl"]) copyFileSync(join(DEBIAN_ROOT, "etc/courier", f), join(etc, f));
  const overrides = {
    IMAP_CAPABILITY: opts.capabilities ?? DEFAULT_CAPABILITY,
    IMAP_ENHANCEDIDLE: opts.enhancedIdle === false ? "0" : "1",
    MAXDAEMONS: "400",
    MAXPERIP: "400",
    IMAPDSTARTTLS: "NO",
  };
  writeFileSync(
    join(etc, "imapd"),
    `${readFileSync(join(etc, "imapd"), "utf8")}\n${Object.entries(overrides)
      .map(([k, v]) => `${k}=${sh(v)}`)
      .join("\n")}\n`,
  );
  writeFileSync(
    join(etc, "authdaemonrc"),
    'authmodulelist="authuserdb"\nauthmodulelistorig="authuserdb"\ndaemons=3\nauthdaemonvar=/run/courier/authdaemon\nDEBUG_LOGIN=0\nDEFAULTOPTIONS=""\nLOGGEROPTS=""\n',
  );
  // gamin's client library names its socket after the user: uid 5000 needs a passwd entry.
  const { passwd, group } = passwdWith(
    [{ user: "mhmail", uid: MAIL_UID, gid: MAIL_UID, home: "/nonexistent" }],
    readFileSync("/etc/passwd", "utf8"),
    readFileSync("/etc/group", "utf8"),
  );
  writeFileSync(join(dir, "passwd"), passwd);
  writeFileSync(join(dir, "group"), group);
  const users = new Map<string, string>();
  const userLines: string[] = [];
  const shadowLines: string[] = [];
  await writeUserdb(etc, userLines, shadowLines);

  const life = await startLifecycle({
    pickPorts: freePort,
    bindable: waitPortBindable,
    removeDir,
    launch: (port) => {
      const script =
        mountPrelude({
          binds: [
            [etc, "/etc/courier"],
            [join(dir, "passwd"), "/etc/passwd"],
            [join(dir, "group"), "/etc/group"],
          ],
        }) +
        [
          "mkdir -p /run/courier/authdaemon",
          "/usr/lib/courier/courier-authlib/authdaemond &",
          // As Debian's /usr/lib/courier/imapd start does, without courierlogger's daemonizing.
          `env -i /bin/sh -c 'set -a; prefix=/usr; exec_prefix=/usr; sbindir=/usr/sbin; bindir=/usr/bin; . /etc/courier/imapd-ssl; . /etc/courier/imapd; ulimit -v $IMAP_ULIMITD; exec /usr/sbin/couriertcpd -address=127.0.0.1 -maxprocs=$MAXDAEMONS -maxperip=$MAXPERIP $TCPDOPTS ${port} /usr/lib/courier/courier/imaplogin /usr/bin/imapd $MAILDIRPATH'`,
        ].join("\n");
      const server = spawnInNamespace(script, dir);
      return spawnAndWait(server, dir, port, { expect: "Courier-IMAP ready" }, 20_000, "courier");
    },
  });
  const port = life.ports();
  const ops = imapOps(() => port, users);
  return {
    kind: "courier",
    host: "127.0.0.1",
    port,
    folder: (name) => (name.toUpperCase() === "INBOX" ? "INBOX" : `INBOX.${name}`),
    async createUser(prefix = "user"): Promise<ImapUser> {
      const user = `${prefix}-${++seq}-${randomBytes(4).toString("hex")}`;
      const pass = randomBytes(9).toString("base64url");
      const home = join(dir, "mail", user);
      for (const sub of ["", "/Maildir", "/Maildir/cur", "/Maildir/new", "/Maildir/tmp"]) {
        mkdirSync(home + sub, { mode: 0o700 });
        chownSync(home + sub, MAIL_UID, MAIL_UID);
      }
      userLines.push(`${user}\tuid=${MAIL_UID}|gid=${MAIL_UID}|home=${home}|mail=${home}/Maildir|_=`);
      shadowLines.push(`${user}\tsystempw={SHA}${createHash("sha1").update(pass).digest("base64")}`);
      await writeUserdb(etc, userLines, shadowLines);
      users.set(user, pass);
      return { user, pass };
    },
    ...ops,
    kill: life.kill,
    start: life.start,
    stop: life.stop,
  };
}

/** userdb.dat + userdbshadow.dat, as `makeuserdb` writes them (authdaemond re-opens them per login). */
async function writeUserdb(etc: string, lines: string[], shadow: string[]): Promise<void> {
  await makedat(`${lines.join("\n")}\n\n.\n`, join(etc, "userdb.tmp"), join(etc, "userdb.dat"));
  await makedat(`${shadow.join("\n")}\n\n.\n`, join(etc, "userdbshadow.tmp"), join(etc, "userdbshadow.dat"));
}

function makedat(input: string, tmp: string, dat: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      MAKEDAT,
      ["-", tmp, dat],
      { env: { LD_LIBRARY_PATH: USERDB_LIBS } },
      (err, _o, stderr) =>
        err ? reject(new Error(`makedatprog failed: ${stderr || err.message}`)) : resolve(),
    );
    child.stdin?.on("error", () => {});
    child.stdin?.end(input);
  });
}

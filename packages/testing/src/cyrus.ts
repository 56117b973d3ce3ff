import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trackDir } from "./children.js";
import {
  debianServersUnavailable,
  mountPrelude,
  passwdWith,
  runInNamespace,
  sh,
  spawnInNamespace,
} from "./debian-root.js";
import type { ImapUser } from "./dovecot.js";
import { freePort, waitPortBindable } from "./free-port.js";
import { imapOps, type TestImapServer } from "./imap-server.js";
import { spawnAndWait, startLifecycle } from "./server-lifecycle.js";

const CYRUS_UID = 5001;
const DIRS = ["conf", "spool", "sieve", "socket", "run"];
let seq = 0;

/**
 * Cyrus IMAP 3.6 (Debian's cyrus-imapd) on a free port of 127.0.0.1, in its own mount + pid
 * namespace (see debian-root.ts), with Debian's default `INBOX.` namespace (altnamespace off, `.`
 * separator), users in its own sasldb, INBOX + Sent + Trash (SPECIAL-USE) created at first login,
 * and IDLE updates within a second (imapidlepoll, see imapdConf).
 */
export async function startCyrus(): Promise<TestImapServer> {
  const why = debianServersUnavailable();
  if (why) throw new Error(why);
  const dir = mkdtempSync(join(tmpdir(), "mailhook-cyrus-"));
  const removeDir = trackDir(dir);
  chmodSync(dir, 0o755);
  for (const d of DIRS) {
    mkdirSync(join(dir, d), { mode: 0o755 });
    chownSync(join(dir, d), CYRUS_UID, CYRUS_UID);
  }
  const sasldb = join(dir, "sasldb2");
  const name = `mailhook-${process.pid}-${++seq}-${randomBytes(3).toString("hex")}`;
  const { passwd, group } = passwdWith(
    [{ user: "cyrus", uid: CYRUS_UID, gid: CYRUS_UID, home: dir }],
    readFileSync("/etc/passwd", "utf8"),
    readFileSync("/etc/group", "utf8"),
  );
  writeFileSync(join(dir, "passwd"), passwd);
  writeFileSync(join(dir, "group"), group);
  const binds: [string, string][] = [
    [join(dir, "passwd"), "/etc/passwd"],
    [join(dir, "group"), "/etc/group"],
    [join(dir, "imapd.conf"), "/etc/imapd.conf"],
    [join(dir, "cyrus.conf"), "/etc/cyrus.conf"],
  ];
  writeFileSync(join(dir, "imapd.conf"), imapdConf(dir, name));
  writeFileSync(join(dir, "cyrus.conf"), cyrusConf(0));
  const users = new Map<string, string>();
  // The SASL realm is the server name, which makes each instance's greeting unique too.
  const setPassword = async (user: string, pass: string) => {
    await runInNamespace(
      `${mountPrelude({ binds })}/usr/sbin/saslpasswd2 -p -c -u ${sh(name)} -f ${sh(sasldb)} ${sh(user)}`,
      pass,
    );
    chownSync(sasldb, CYRUS_UID, CYRUS_UID);
  };

  const life = await startLifecycle({
    pickPorts: freePort,
    bindable: waitPortBindable,
    removeDir,
    prepare: () => setPassword("cyrus", randomBytes(9).toString("base64url")),
    launch: (port) => {
      writeFileSync(join(dir, "cyrus.conf"), cyrusConf(port));
      const script = `${mountPrelude({ binds })}exec /usr/lib/cyrus/bin/master -p ${sh(join(dir, "run", "master.pid"))}\n`;
      const server = spawnInNamespace(script, dir);
      // `ctl_cyrusdb -r` runs first: a cold start takes a few seconds.
      return spawnAndWait(server, dir, port, { expect: `${name} Cyrus IMAP` }, 30_000, "cyrus");
    },
  });
  const port = life.ports();
  return {
    kind: "cyrus",
    host: "127.0.0.1",
    port,
    folder: (f) => (f.toUpperCase() === "INBOX" ? "INBOX" : `INBOX.${f}`),
    async createUser(prefix = "user"): Promise<ImapUser> {
      // Cyrus user names: no dots under the `.` hierarchy separator.
      const user = `${prefix.replaceAll(".", "-")}-${++seq}-${randomBytes(4).toString("hex")}`;
      const pass = randomBytes(9).toString("base64url");
      await setPassword(user, pass);
      users.set(user, pass);
      return { user, pass };
    },
    ...imapOps(() => port, users),
    kill: life.kill,
    start: life.start,
    stop: life.stop,
  };
}

function imapdConf(dir: string, name: string): string {
  return `${[
    `servername: ${name}`,
    `configdirectory: ${dir}/conf`,
    `partition-default: ${dir}/spool`,
    `sievedir: ${dir}/sieve`,
    "admins: cyrus",
    "sasl_pwcheck_method: auxprop",
    "sasl_auxprop_plugin: sasldb",
    `sasl_sasldb_path: ${dir}/sasldb2`,
    "sasl_mech_list: PLAIN LOGIN",
    "allowplaintext: yes",
    // Debian's defaults: personal folders under INBOX., separator "."
    "altnamespace: no",
    "unixhierarchysep: no",
    // INBOX and the special folders exist at first login, like a provisioned account.
    "autocreate_quota: 0",
    "autocreate_inbox_folders: Sent | Trash",
    "xlist-Sent: Sent",
    "xlist-Trash: Trash",
    `idlesocket: ${dir}/socket/idle`,
    `notifysocket: ${dir}/socket/notify`,
    `lmtpsocket: ${dir}/socket/lmtp`,
    "maxlogins_per_user: 0",
    // idled never signalled the idling imapd in this namespace (not investigated further: imapd
    // then re-checks the folder every imapidlepoll seconds, 60 by default). 1 s keeps the IDLE
    // tests on the server's own untagged EXISTS during IDLE, at most a second late.
    "imapidlepoll: 1",
  ].join("\n")}\n`;
}

function cyrusConf(port: number): string {
  return `START {
  recover cmd="ctl_cyrusdb -r"
  idled cmd="idled"
}
SERVICES {
  imap cmd="imapd" listen="127.0.0.1:${port}" prefork=1 maxchild=400
}
EVENTS {
}
DAEMON {
}
`;
}

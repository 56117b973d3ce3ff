import type { Logger } from "@mailhook/log";
import { type Producer, rangeJobs } from "@mailhook/queue";
import type { Lease, Leases, Mailbox, Store } from "@mailhook/store";
import { FolderWatcher, type WatchTiming } from "./folder-watcher.js";

export interface SupervisorDeps {
  store: Store;
  leases: Leases;
  producer: Producer<"mail.process">;
  log: Logger;
  ownerId: string;
  /** How often the mailbox list is re-read even without a change notice. */
  reconcileMs?: number;
  timing?: Partial<WatchTiming>;
  /** UIDs per `mail.process` job (default 100): one job per range found, not one per message. */
  maxUidsPerJob?: number;
}

const DEFAULT_UIDS_PER_JOB = 100;

interface Owned {
  mailbox: Mailbox;
  fingerprint: string;
  lease: Lease;
  watchers: FolderWatcher[];
}

/** What makes a running watcher obsolete: connection, folders or start position changed. */
function fingerprint(m: Mailbox): string {
  return JSON.stringify([
    m.host,
    m.port,
    m.tls,
    m.tlsVerify,
    m.user,
    m.password,
    m.authMethod,
    m.folders,
    m.start,
  ]);
}

/**
 * Owns mailboxes through leases and runs one FolderWatcher per watched folder of each. Any number
 * of replicas can run: a mailbox is watched by whichever replica holds its lease, and is taken over
 * by another within a lease TTL when its owner dies.
 */
export function createSupervisor(deps: SupervisorDeps) {
  const owned = new Map<string, Owned>();
  const log = deps.log;
  let timer: NodeJS.Timeout | null = null;
  let renewTimer: NodeJS.Timeout | null = null;
  let reconciling: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  const ref = (m: { tenantId: string; id: string }) => `${m.tenantId}/${m.id}`;

  function startWatchers(mailbox: Mailbox, lease: Lease): FolderWatcher[] {
    return mailbox.folders.map((folder) => {
      const mlog = log.child({ tenantId: mailbox.tenantId, mailboxId: mailbox.id, folder });
      const w = new FolderWatcher({
        target: mailbox,
        folder,
        start: mailbox.start,
        log: mlog,
        ...(deps.timing ? { timing: deps.timing } : {}),
        getCursor: () => deps.store.getCursor(mailbox.tenantId, mailbox.id, folder),
        markVerified: (uidValidity, at) =>
          deps.store.markCursorVerified(mailbox.tenantId, mailbox.id, folder, uidValidity, at),
        saveCursor: (c, reset) =>
          deps.store.advanceCursor(mailbox.tenantId, mailbox.id, folder, c, lease.token, reset),
        enqueue: (uids, uidValidity, seenAt) =>
          deps.producer.addBulk(
            rangeJobs(
              { tenantId: mailbox.tenantId, mailboxId: mailbox.id, folder, uidValidity, seenAt },
              uids,
              deps.maxUidsPerJob ?? DEFAULT_UIDS_PER_JOB,
            ),
          ),
        onState: (state, detail) => {
          const now = new Date().toISOString();
          void deps.store
            .setFolderStatus(mailbox.tenantId, mailbox.id, folder, {
              state,
              lastError: detail.error,
              since: now,
              idleSince: detail.idleSince ? detail.idleSince.toISOString() : null,
              lastEventAt: now,
              owner: deps.ownerId,
            })
            .catch((err: unknown) => mlog.warn({ err: String(err) }, "status write failed"));
          if (state === "auth-failed") {
            void deps.store.recordEvent({
              at: now,
              tenantId: mailbox.tenantId,
              mailboxId: mailbox.id,
              folder,
              type: "auth.failed",
              detail: { error: detail.error },
            });
          }
        },
        onUidValidityChange: (previous, next) => {
          mlog.warn(
            { previous: previous.uidValidity, next: next.uidValidity, resumeAfterUid: next.lastUid },
            "UIDVALIDITY changed",
          );
          void deps.store.recordEvent({
            at: new Date().toISOString(),
            tenantId: mailbox.tenantId,
            mailboxId: mailbox.id,
            folder,
            type: "uidvalidity.changed",
            detail: { previous: previous.uidValidity, next: next.uidValidity, resumeAfterUid: next.lastUid },
          });
        },
        onFenced: () => void release(ref(mailbox)),
      });
      w.start();
      return w;
    });
  }

  async function release(key: string): Promise<void> {
    const o = owned.get(key);
    if (!o) return;
    owned.delete(key);
    await Promise.all(o.watchers.map((w) => w.stop()));
    await o.lease.release().catch(() => {});
    log.info({ mailbox: key }, "released mailbox");
  }

  async function reconcileOnce(): Promise<void> {
    const mailboxes = (await deps.store.listMailboxes()).filter((m) => m.enabled);
    const wanted = new Map(mailboxes.map((m) => [ref(m), m]));
    for (const [key, o] of owned) {
      const m = wanted.get(key);
      if (!m || fingerprint(m) !== o.fingerprint) await release(key);
    }
    for (const [key, m] of wanted) {
      if (stopped) return;
      if (owned.has(key)) continue;
      const lease = await deps.leases.acquire(m.tenantId, m.id);
      if (!lease) continue;
      owned.set(key, { mailbox: m, fingerprint: fingerprint(m), lease, watchers: startWatchers(m, lease) });
      log.info({ mailbox: key, folders: m.folders }, "took mailbox");
    }
  }

  /** Runs reconcile; concurrent requests collapse into one extra pass. */
  function reconcile(): Promise<void> {
    if (reconciling) {
      again = true;
      return reconciling;
    }
    reconciling = (async () => {
      do {
        again = false;
        try {
          await reconcileOnce();
        } catch (err) {
          log.error({ err: String(err) }, "reconcile failed");
        }
      } while (again && !stopped);
      reconciling = null;
    })();
    return reconciling;
  }

  async function renewAll(): Promise<void> {
    for (const [key, o] of owned) {
      const ok = await o.lease.renew().catch(() => false);
      if (!ok) {
        log.warn({ mailbox: key }, "lease lost; stopping watchers");
        await release(key);
      }
    }
  }

  return {
    async start(): Promise<void> {
      stopped = false;
      await reconcile();
      timer = setInterval(() => void reconcile(), deps.reconcileMs ?? 5_000);
      renewTimer = setInterval(() => void renewAll(), Math.max(250, Math.floor(deps.leases.ttlMs / 3)));
    },
    /** Re-reads the mailbox list now (called on change notices). */
    reconcile,
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearInterval(timer);
      if (renewTimer) clearInterval(renewTimer);
      await reconciling;
      await Promise.all([...owned.keys()].map((k) => release(k)));
    },
    owned(): string[] {
      return [...owned.keys()];
    },
  };
}
export type Supervisor = ReturnType<typeof createSupervisor>;

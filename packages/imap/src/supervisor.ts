import type { Logger } from "@mailhook/log";
import type { OutboundPolicy } from "@mailhook/net";
import { type Producer, rangeJobs } from "@mailhook/queue";
import type { Lease, Leases, Mailbox, Member, Membership, Presence, Store } from "@mailhook/store";
import { createConnectGate } from "./connect-gate.js";
import { assignMailboxes, planOwnership } from "./fair-share.js";
import { FolderWatcher, type WatchTiming } from "./folder-watcher.js";
import { createGoneDetector } from "./gone-detector.js";

export interface SupervisorDeps {
  store: Store;
  leases: Leases;
  membership: Membership;
  producer: Producer<"mail.process">;
  log: Logger;
  ownerId: string;
  /** Most mailboxes this replica owns (0 = no limit). */
  capacity?: number;
  /**
   * On stop, keep this replica's place among the members for this long (0 = leave at once): its
   * mailboxes wait for the same `ownerId` to come back instead of moving away and back again.
   */
  restartGraceMs?: number;
  /** Asked before every IDLE connection (IMAP_ALLOW, the tenant's allow-list, the TLS switches). */
  outbound: OutboundPolicy;
  /** How often the mailbox list is re-read even without a change notice. */
  reconcileMs?: number;
  /** How often ownership is checked against the live members (takes over expired leases). */
  tickMs?: number;
  timing?: Partial<WatchTiming>;
  /** Connections set up at once, connect to IDLE (default 128); the others wait their turn. */
  connectConcurrency?: number;
  /** UIDs per `mail.process` job (default 100): one job per range found, not one per message. */
  maxUidsPerJob?: number;
  /**
   * Fast failover: this replica subscribes to its presence channel (the caller does, before
   * `start`), and checks the others' every `checkMs`; one found dead for `confirmMs` is marked gone
   * and its mailboxes are taken without waiting for their leases to expire. Absent: TTL only.
   */
  presence?: { presence: Presence; confirmMs: number; checkMs?: number };
}

const DEFAULT_UIDS_PER_JOB = 100;
const DEFAULT_CONNECT_CONCURRENCY = 128;

interface Owned {
  mailbox: Mailbox;
  fingerprint: string;
  lease: Lease;
  watchers: FolderWatcher[];
  /** Status writes of this mailbox, in order; awaited before the lease is released. */
  statusWrites: Promise<void>;
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
 * of replicas can run: they register in the membership, and each owns the mailboxes that
 * rendezvous hashing assigns to it among the live members (capped by its capacity). A joining
 * replica receives its share by hand-over (the old owner stops, releases and announces it); a dead
 * one's mailboxes are taken when its heartbeat and leases expire, or at once when its presence
 * subscription is gone (the process died: `presence`). Leases and the heartbeat are
 * renewed in one batch on their own timer from start-up, whatever the IMAP connections are doing.
 */
export function createSupervisor(deps: SupervisorDeps) {
  const owned = new Map<string, Owned>();
  const log = deps.log;
  const me = deps.ownerId;
  const capacity = deps.capacity ?? 0;
  const ttl = deps.leases.ttlMs;
  const tickMs = deps.tickMs ?? Math.max(100, Math.min(1_000, Math.floor(ttl / 10)));
  let mailboxes = new Map<string, Mailbox>();
  let listStale = true;
  let memo: { sig: string; assignment: Map<string, string> } | null = null;
  let memoVersion = 0;
  const timers: NodeJS.Timeout[] = [];
  let running: Promise<void> | null = null;
  let again = false;
  let renewing = false;
  let stopped = false;
  const connectGate = createConnectGate(deps.connectConcurrency ?? DEFAULT_CONNECT_CONCURRENCY);
  const detector = deps.presence ? createGoneDetector(me, deps.presence.confirmMs) : null;
  let checking = false;

  const ref = (m: { tenantId: string; id: string }) => `${m.tenantId}/${m.id}`;

  function startOwned(mailbox: Mailbox, lease: Lease): Owned {
    const o: Owned = {
      mailbox,
      fingerprint: fingerprint(mailbox),
      lease,
      watchers: [],
      statusWrites: Promise.resolve(),
    };
    o.watchers = mailbox.folders.map((folder) => {
      const mlog = log.child({ tenantId: mailbox.tenantId, mailboxId: mailbox.id, folder });
      const w = new FolderWatcher({
        target: mailbox,
        outbound: deps.outbound,
        folder,
        start: mailbox.start,
        log: mlog,
        ...(deps.timing ? { timing: deps.timing } : {}),
        getCursor: () =>
          deps.store.getCursor(mailbox.tenantId, mailbox.id, folder, (stored) =>
            mlog.warn({ stored }, "stored cursor was not integers; deleted it, the folder starts afresh"),
          ),
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
          const status = {
            state,
            lastError: detail.error,
            since: now,
            idleSince: detail.idleSince ? detail.idleSince.toISOString() : null,
            lastEventAt: now,
            owner: me,
          };
          // Fenced by the lease: once another replica owns the mailbox, this one's writes are dropped.
          o.statusWrites = o.statusWrites
            .then(() => deps.store.setFolderStatus(mailbox.tenantId, mailbox.id, folder, status, lease.token))
            .then(
              () => {},
              (err: unknown) => mlog.warn({ err: String(err) }, "status write failed"),
            );
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
        onFenced: () => void release([ref(mailbox)], "fenced"),
        connectGate,
      });
      w.start();
      return w;
    });
    return o;
  }

  /** Stops the mailboxes' watchers (their last status written while the lease still holds), then frees the leases. */
  async function release(refs: string[], why: string): Promise<number> {
    const gone: Owned[] = [];
    for (const key of refs) {
      const o = owned.get(key);
      if (!o) continue;
      owned.delete(key);
      gone.push(o);
    }
    if (gone.length === 0) return 0;
    await Promise.all(
      gone.map(async (o) => {
        await Promise.all(o.watchers.map((w) => w.stop()));
        await o.statusWrites;
      }),
    );
    await deps.leases.releaseMany(gone.map((o) => o.lease)).catch(() => {});
    log.info({ mailboxes: gone.length, why, first: ref(gone[0]!.mailbox) }, "released mailboxes");
    return gone.length;
  }

  async function loadList(): Promise<void> {
    listStale = false;
    const list = (await deps.store.listMailboxes()).filter((m) => m.enabled);
    mailboxes = new Map(list.map((m) => [ref(m), m]));
    const obsolete = [...owned].filter(([key, o]) => {
      const m = mailboxes.get(key);
      return !m || fingerprint(m) !== o.fingerprint;
    });
    await release(
      obsolete.map(([key]) => key),
      "configuration changed",
    );
  }

  function assignmentFor(members: Member[]): Map<string, string> {
    const sig = JSON.stringify([members.map((m) => [m.id, m.capacity]), mailboxes.size, memoVersion]);
    if (memo?.sig !== sig) memo = { sig, assignment: assignMailboxes([...mailboxes.keys()], members) };
    return memo.assignment;
  }
  async function balance(): Promise<void> {
    if (listStale) {
      await loadList();
      memoVersion++;
    }
    const { members: live, gone } = await deps.membership.live();
    // This replica counts as live even if its heartbeat has not landed yet.
    const members = live.some((m) => m.id === me)
      ? live
      : [...live, { id: me, capacity, at: 0 }].sort((a, b) => (a.id < b.id ? -1 : 1));
    const assignment = assignmentFor(members);
    const plan = planOwnership(me, assignment, new Set(owned.keys()), new Set(members.map((m) => m.id)));
    if (plan.handOver.length > 0) {
      const n = await release(plan.handOver, "handed over");
      if (n > 0) await deps.membership.announceRelease(me, n);
    }
    if (stopped || plan.acquire.length === 0) return;
    const wanted = plan.acquire.map((key) => mailboxes.get(key)).filter((m): m is Mailbox => m !== undefined);
    const got = await deps.leases.acquireMany(
      wanted.map((m) => ({ tenantId: m.tenantId, mailboxId: m.id })),
      gone,
    );
    let took = 0;
    wanted.forEach((m, i) => {
      const lease = got[i];
      if (!lease) return;
      if (stopped) {
        void lease.release();
        return;
      }
      owned.set(ref(m), startOwned(m, lease));
      took++;
    });
    if (took > 0) log.info({ took, owned: owned.size, members: members.length }, "took mailboxes");
  }

  /** Runs one ownership pass; requests while one runs collapse into one more pass. */
  function kick(reload = false): Promise<void> {
    if (reload) listStale = true;
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await balance();
        } catch (err) {
          log.error({ err: String(err) }, "ownership pass failed");
        }
      } while (again && !stopped);
      running = null;
    })();
    return running;
  }

  /** Looks for dead members by their presence; marks them gone and takes their share at once. */
  async function checkPresence(): Promise<void> {
    if (!deps.presence || !detector || checking || stopped) return;
    checking = true;
    try {
      const { now, members } = await deps.membership.live();
      const counts = await deps.presence.presence.subscribers(members.map((m) => m.id).concat(me));
      let marked = 0;
      for (const v of detector.observe(now, members, counts)) {
        if (!(await deps.membership.markGone(v.id, v.at))) continue;
        marked++;
        log.warn({ member: v.id }, "watcher replica gone (its presence ended); taking over its mailboxes");
        await deps.membership.announceRelease(v.id, 0);
      }
      if (marked > 0) void kick();
    } catch (err) {
      log.warn({ err: String(err) }, "presence check failed");
    } finally {
      checking = false;
    }
  }

  /** Heartbeat and every lease in one batch; never two at once. */
  async function renewAll(): Promise<void> {
    if (renewing || stopped) return;
    renewing = true;
    try {
      const held = [...owned.values()];
      const [, ok] = await Promise.all([
        deps.membership
          .heartbeat(me, capacity, deps.presence !== undefined)
          .catch((err: unknown) => log.warn({ err: String(err) }, "heartbeat failed")),
        deps.leases.renewMany(held.map((o) => o.lease)),
      ]);
      const lost = held
        .filter((o, i) => !ok[i] && owned.get(ref(o.mailbox)) === o)
        .map((o) => ref(o.mailbox));
      if (lost.length > 0) {
        log.warn({ mailboxes: lost.length, first: lost[0] }, "leases lost; stopping their watchers");
        await release(lost, "lease lost");
      }
    } catch (err) {
      log.warn({ err: String(err) }, "lease renewal failed");
    } finally {
      renewing = false;
    }
  }

  return {
    async start(): Promise<void> {
      stopped = false;
      await loadList();
      await deps.membership.heartbeat(me, capacity, deps.presence !== undefined);
      timers.push(setInterval(() => void renewAll(), Math.max(100, Math.floor(ttl / 3))));
      if (deps.presence) {
        const every =
          deps.presence.checkMs ?? Math.max(50, Math.min(250, Math.floor(deps.presence.confirmMs / 4)));
        timers.push(setInterval(() => void checkPresence(), every));
      }
      timers.push(setInterval(() => void kick(), tickMs));
      timers.push(setInterval(() => void kick(true), deps.reconcileMs ?? 5_000));
      // Replicas started together see each other before the first assignment: one tick to settle.
      // With no other live member there is nobody to split with: the first pass runs at once (a
      // replica starting just after joins by hand-over, as in a staggered start; leases still fence).
      const { members } = await deps.membership.live();
      if (members.some((m) => m.id !== me)) await new Promise((r) => setTimeout(r, tickMs));
      await kick();
    },
    /** Re-reads the mailbox list now (called on change notices). */
    reconcile: () => kick(true),
    /** Checks ownership now (called when another replica released mailboxes). */
    rebalance: () => kick(),
    async stop(): Promise<void> {
      stopped = true;
      for (const t of timers.splice(0)) clearInterval(t);
      await running;
      const grace = deps.restartGraceMs ?? 0;
      await (grace > 0 ? deps.membership.park(me, capacity, grace) : deps.membership.leave(me)).catch(
        () => {},
      );
      const n = await release([...owned.keys()], "shutting down");
      if (n > 0) await deps.membership.announceRelease(me, n).catch(() => {});
    },
    owned(): string[] {
      return [...owned.keys()];
    },
  };
}
export type Supervisor = ReturnType<typeof createSupervisor>;

import { budgetDeferDelay, SessionBudgetFull } from "@mailhook/imap";
import type { Logger } from "@mailhook/log";
import {
  affinityQueueName,
  createProducer,
  DelayedError,
  type Job,
  type MailProcessJob,
  type Producer,
  type QueueOptions,
} from "@mailhook/queue";
import { createMembership, keys, type RedisClient } from "@mailhook/store";

export interface SessionRoutingOptions {
  redis: RedisClient;
  connection: QueueOptions["connection"];
  prefix: string;
  workerId: string;
  /** The shared `mail.process` queue (jobs routed back land there). */
  shared: Producer<"mail.process">;
  /** Forward a job whose mailbox's sessions another live worker holds to that worker (default true). */
  route?: boolean;
  /** A killed worker counts as live this long (heartbeat every third of it); default 10 s. */
  heartbeatTtlMs?: number;
  log: Logger;
  /** Counts a routing event in the shared metrics (`imap_budget_deferrals`, `imap_routed_jobs`). */
  count?: (field: string) => void;
}

/** Which queue a `mail.process` job came from: the shared one, or this worker's affinity queue. */
export type MailLane = "shared" | "own";

/**
 * What a worker does with a job whose mailbox's IMAP session budget is full and that it holds no
 * session of (SessionBudgetFull): forward it to a live worker holding the sessions (its affinity
 * queue `mail.process@<workerId>`), or else defer it. Workers heartbeat into a members hash; the
 * affinity queues of workers gone from it are moved back to the shared queue by any live worker.
 * Jobs are idempotent (delivery records are created with SET NX), so a job moved back twice sends
 * nothing twice. Nothing here runs per message: only on a refusal, on a timer, and at stop.
 */
export function createSessionRouting(opts: SessionRoutingOptions) {
  const k = keys(opts.prefix);
  const ttlMs = opts.heartbeatTtlMs ?? 10_000;
  const route = opts.route ?? true;
  const members = createMembership({ redis: opts.redis, prefix: opts.prefix, ttlMs, of: "workers" });
  const queues = new Map<string, Producer<"mail.process">>();
  const stats = { forwarded: 0, returned: 0, deferred: 0, reclaimed: 0 };
  let live: { at: number; ids: Set<string> } | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const queueOf = (workerId: string) => {
    let q = queues.get(workerId);
    if (!q) {
      q = createProducer("mail.process", {
        connection: opts.connection,
        prefix: opts.prefix,
        queueName: affinityQueueName("mail.process", workerId),
        onError: (err) => opts.log.warn({ err: err.message }, "affinity queue error"),
      });
      queues.set(workerId, q);
    }
    return q;
  };

  async function liveIds(): Promise<Set<string>> {
    if (live && Date.now() - live.at < 1_000) return live.ids;
    const r = await members.live();
    live = { at: Date.now(), ids: new Set(r.members.map((m) => m.id)) };
    return live.ids;
  }

  /** Moves the waiting jobs of `workerId`'s affinity queue to the shared queue; true when it is empty. */
  async function drain(workerId: string): Promise<boolean> {
    const q = queueOf(workerId).queue;
    const jobs = await q.getJobs(["wait", "delayed", "prioritized", "active"], 0, 999);
    const movable = jobs.filter((j): j is Job & { id: string } => typeof j.id === "string");
    if (movable.length > 0) {
      await opts.shared.addBulk(movable.map((j) => ({ jobId: j.id, data: j.data as MailProcessJob })));
      // A job still locked (its worker died mid-job: the lock runs out) stays and is moved again.
      await Promise.all(movable.map((j) => q.remove(j.id).catch(() => 0)));
      stats.reclaimed += movable.length;
    }
    return (await q.count()) === 0;
  }

  /** Affinity queues of workers no longer live go back to the shared queue (every heartbeat: one SMEMBERS). */
  async function sweep(): Promise<void> {
    const ids = await opts.redis.smembers(k.affinityQueues);
    const alive = await liveIds();
    for (const id of ids) {
      if (id === opts.workerId || alive.has(id)) continue;
      if (await drain(id)) {
        await opts.redis.srem(k.affinityQueues, id);
        // A forward that raced the removal: keep the id until its queue is empty.
        if ((await queueOf(id).queue.count()) > 0) await opts.redis.sadd(k.affinityQueues, id);
        await queues.get(id)?.close();
        queues.delete(id);
      }
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(
      () => {
        const work = members
          .heartbeat(opts.workerId, 0)
          .then(sweep)
          .catch((err: unknown) => opts.log.warn({ err: String(err) }, "worker heartbeat or sweep failed"));
        void work.finally(schedule);
      },
      Math.max(50, Math.floor(ttlMs / 3)),
    );
    timer.unref();
  }

  return {
    /** This worker's affinity queue. */
    queueName: affinityQueueName("mail.process", opts.workerId),
    stats: () => ({ ...stats }),
    async start(): Promise<void> {
      await members.heartbeat(opts.workerId, 0);
      await opts.redis.sadd(k.affinityQueues, opts.workerId);
      schedule();
    },
    /**
     * A job failed with SessionBudgetFull: forwarded to the holder's queue or, from this worker's
     * own queue, put back into the shared one (true: the job is done here); else deferred (throws
     * DelayedError). Any other error: false, for the caller to handle.
     */
    async onBudgetFull(err: unknown, lane: MailLane, job: Job, token: string | undefined): Promise<boolean> {
      if (!(err instanceof SessionBudgetFull)) return false;
      const data = job.data as MailProcessJob;
      const deferrals = data.deferrals ?? 0;
      if (lane === "own") {
        // Routed here, but this worker's sessions are gone: back to the shared queue, later.
        await opts.shared.add(
          job.id ?? "",
          { ...data, deferrals: deferrals + 1 },
          { delay: budgetDeferDelay(deferrals) },
        );
        stats.returned++;
        opts.count?.("imap_budget_deferrals");
        return true;
      }
      const holder = route ? await firstLive(err.holders) : null;
      if (holder && job.id) {
        // Added first, listed after: a sweep that removed the id in between finds it again.
        await queueOf(holder).add(job.id, { ...data, deferrals });
        await opts.redis.sadd(k.affinityQueues, holder);
        stats.forwarded++;
        opts.count?.("imap_routed_jobs");
        return true;
      }
      stats.deferred++;
      opts.count?.("imap_budget_deferrals");
      await deferForBudget(err, job, token, deferrals);
      return false;
    },
    /** Leaves the members, then moves what is left in its own queue back (after its consumer closed). */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await members.leave(opts.workerId).catch(() => {});
      await drain(opts.workerId)
        .then(async (empty) => {
          if (empty) await opts.redis.srem(k.affinityQueues, opts.workerId);
        })
        .catch((err: unknown) =>
          opts.log.warn({ err: String(err) }, "could not move the affinity queue back"),
        );
      await Promise.all([...queues.values()].map((q) => q.close()));
      queues.clear();
    },
  };

  async function firstLive(holders: string[]): Promise<string | null> {
    if (holders.length === 0) return null;
    const alive = await liveIds();
    return holders.find((h) => h !== opts.workerId && alive.has(h)) ?? null;
  }
}
export type SessionRouting = ReturnType<typeof createSessionRouting>;

/**
 * A job of a mailbox whose session budget is full goes back to BullMQ's delayed set (DelayedError:
 * not failed, no attempt counted), later for each deferral of the same job. Other errors: returns.
 */
export async function deferForBudget(
  err: unknown,
  job: Job,
  token: string | undefined,
  deferrals = 0,
): Promise<void> {
  if (!(err instanceof SessionBudgetFull)) return;
  const n = Math.max(deferrals, job.attemptsStarted - job.attemptsMade - 1);
  await job.moveToDelayed(Date.now() + budgetDeferDelay(n), token);
  throw new DelayedError();
}

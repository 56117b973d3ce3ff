import type { JobType, Queue } from "bullmq";
import type { Cluster, Redis } from "ioredis";

/** One client or a Cluster: event streams are single keys, so either works. */
type StreamClient = Pick<Redis | Cluster, "xrange" | "xdel">;

export interface PurgeOptions {
  /** When given, the queues' event streams lose the entries of the tenant's jobs as well. */
  redis?: StreamClient;
  /**
   * Ids of the tenant's jobs that are gone already (completed jobs are not kept) but still named in
   * the event streams: its delivery ids, `mail.act` ids, `mail.process` ids of its mailboxes.
   */
  isTenantJob?: (jobId: string) => boolean;
  /** How long to wait for the tenant's running jobs to finish (they cannot be removed while locked). */
  timeoutMs?: number;
  pollMs?: number;
}

const REMOVABLE: JobType[] = ["waiting", "delayed", "prioritized", "waiting-children", "failed", "completed"];
const PAGE = 500;

/**
 * Removes every job of one tenant from these queues (all states but running) and waits for its
 * running jobs to end, then removes what they left (a failed job is kept otherwise). Returns the ids
 * of every job removed or awaited. Reads the queues whole: meant for tenant deletion, not hot paths.
 */
export async function purgeTenantJobs(
  queues: Queue[],
  tenantId: string,
  opts: PurgeOptions = {},
): Promise<string[]> {
  const seen = new Set<string>();
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  const mine = (data: unknown) => (data as { tenantId?: unknown } | null)?.tenantId === tenantId;
  for (;;) {
    // A pass that finds nothing of the tenant's ends it; a job that was running during one pass
    // may have ended as a failed job after that pass read the failed list.
    let found = 0;
    for (const q of queues) {
      for (const state of REMOVABLE) {
        // Removing shifts later jobs down a page: re-read the first page until it holds none of ours.
        for (let start = 0; ; ) {
          const jobs = await q.getJobs([state], start, start + PAGE - 1);
          let removed = 0;
          for (const job of jobs) {
            if (!job?.id || !mine(job.data)) continue;
            seen.add(job.id);
            found++;
            await job.remove().then(
              () => removed++,
              () => {},
            );
          }
          if (jobs.length < PAGE) break;
          start += PAGE - removed;
        }
      }
      for (const job of await q.getJobs(["active"])) {
        if (job?.id && mine(job.data)) {
          seen.add(job.id);
          found++;
        }
      }
    }
    if (found === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
  }
  if (opts.redis) {
    for (const q of queues) {
      const stream = q.keys.events;
      if (stream)
        await dropEvents(opts.redis, stream, (id) => seen.has(id) || (opts.isTenantJob?.(id) ?? false));
    }
  }
  return [...seen];
}

/** Deletes the event-stream entries (added, completed, …) that name one of these jobs. */
async function dropEvents(
  redis: StreamClient,
  stream: string,
  mine: (jobId: string) => boolean,
): Promise<void> {
  // BullMQ trims its event streams (10,000 entries by default), so reading one whole is bounded.
  const entries = await redis.xrange(stream, "-", "+");
  const ids = entries
    .filter(([, fields]) => {
      const at = fields.indexOf("jobId");
      return at >= 0 && at % 2 === 0 && mine(fields[at + 1] ?? "");
    })
    .map(([id]) => id);
  for (let i = 0; i < ids.length; i += 500) await redis.xdel(stream, ...ids.slice(i, i + 500));
}

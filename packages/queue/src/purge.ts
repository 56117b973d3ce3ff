import type { JobType, Queue } from "bullmq";

export interface PurgeOptions {
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
    if (found === 0 || Date.now() > deadline) return [...seen];
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
  }
}

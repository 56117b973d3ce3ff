import type { Logger } from "@mailhook/log";
import { createSessionRouting, type MailLane } from "@mailhook/pipeline";
import {
  createConsumer,
  type Processor,
  type Producer,
  type QueueOptions,
  type Worker,
} from "@mailhook/queue";
import { createSessionBudget, type Store } from "@mailhook/store";

export interface WorkerSessionsOptions {
  store: Store;
  log: Logger;
  prefix: string;
  connection: QueueOptions["connection"];
  workerId: string;
  /** IMAP_SESSIONS_PER_MAILBOX; 0 turns the shared budget (and routing) off. */
  perMailbox: number;
  leaseMs?: number | undefined;
  route: boolean;
  /** The shared mail.process queue. */
  shared: Producer<"mail.process">;
  count: (field: string) => void;
  /** BullMQ worker options of mail.process (concurrency, locks), used for the affinity queue too. */
  consumer: { concurrency: number; maxStalledCount: number; lockDuration?: number; stalledInterval?: number };
}

/**
 * The worker's share of the cluster-wide IMAP session budget: its leases (for the pool), the
 * routing of jobs to the worker holding a mailbox's sessions, and the consumer of its own
 * affinity queue. Null when the budget is off.
 */
export function createWorkerSessions(opts: WorkerSessionsOptions) {
  if (opts.perMailbox <= 0) return null;
  const budget = createSessionBudget({
    redis: opts.store.redis,
    prefix: opts.prefix,
    workerId: opts.workerId,
    ...(opts.leaseMs ? { leaseMs: opts.leaseMs } : {}),
    onError: (err) => opts.log.warn({ err: String(err) }, "could not renew IMAP session leases"),
  });
  const routing = createSessionRouting({
    redis: opts.store.redis,
    connection: opts.connection,
    prefix: opts.prefix,
    workerId: opts.workerId,
    shared: opts.shared,
    route: opts.route,
    log: opts.log,
    count: opts.count,
  });
  let own: Worker | null = null;
  return {
    pool: { leases: budget, perMailbox: opts.perMailbox },
    routing,
    /** Consumes the affinity queue (jobs routed here) with the mail.process processor. */
    consume(processor: (lane: MailLane) => Processor<"mail.process">): Worker {
      own = createConsumer(
        "mail.process",
        { connection: opts.connection, prefix: opts.prefix, queueName: routing.queueName, ...opts.consumer },
        processor("own"),
      );
      return own;
    },
    async start(): Promise<void> {
      await own?.waitUntilReady();
      await routing.start();
    },
    /** After the shared consumer closed: finish routed jobs, move the rest back, leave. */
    async stopRouting(): Promise<void> {
      await own?.close();
      await routing.stop();
    },
    /** After the pool closed: gives back what leases are left and stops renewing. */
    close: () => budget.close(),
  };
}

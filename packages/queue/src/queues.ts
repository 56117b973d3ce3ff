import {
  type ConnectionOptions,
  type Job,
  Queue,
  UnrecoverableError,
  Worker,
  type WorkerOptions,
} from "bullmq";
import { type JobData, type JobName, jobCatalog } from "./catalog.js";

export interface QueueOptions {
  connection: ConnectionOptions;
  /** Redis key prefix for every queue (the hash tag keeps one queue's keys in one Cluster slot). */
  prefix: string;
  /**
   * Connection errors of the producer's Redis clients (Redis down, reconnecting). Always handled:
   * without a listener BullMQ's 'error' event would print a raw stack trace, or crash the process.
   */
  onError?: (err: Error) => void;
  /**
   * The BullMQ queue's name when it is not the catalog name: a worker's own affinity queue
   * (`affinityQueueName`) carries the same jobs, schema and options as its catalog queue.
   */
  queueName?: string;
}

/**
 * A worker's private queue for jobs routed to it (the ones of mailboxes whose IMAP sessions it
 * holds). BullMQ queue names may not contain ':', so the worker id is percent-encoded.
 */
export function affinityQueueName(name: JobName, workerId: string): string {
  return `${name}@${encodeURIComponent(workerId)}`;
}

/**
 * BullMQ's scripts touch many keys of one queue, so on Redis Cluster the prefix must be a hash tag.
 * A prefix that already holds one (`{mh}`) is used as it is.
 */
export function bullPrefix(prefix: string): string {
  return prefix.includes("{") ? prefix : `{${prefix}}`;
}

/** A typed producer for one queue of the catalog. */
export interface Producer<N extends JobName> {
  readonly queue: Queue;
  /** Adds a job; a job with this id that still exists makes it a no-op. */
  add(jobId: string, data: JobData<N>, opts?: { delay?: number }): Promise<void>;
  /** Removes a waiting or delayed job; false when it is gone, or running (locked). */
  remove(jobId: string): Promise<boolean>;
  addBulk(jobs: { jobId: string; data: JobData<N> }[]): Promise<void>;
  close(): Promise<void>;
}

export function createProducer<N extends JobName>(name: N, opts: QueueOptions): Producer<N> {
  const entry = jobCatalog[name];
  const queue = new Queue(opts.queueName ?? name, {
    connection: opts.connection,
    prefix: bullPrefix(opts.prefix),
    defaultJobOptions: entry.options,
  });
  queue.on("error", (err: Error) => opts.onError?.(err));
  return {
    queue,
    async add(jobId, data, o) {
      await queue.add(name, entry.schema.parse(data), { jobId, ...(o?.delay ? { delay: o.delay } : {}) });
    },
    async remove(jobId) {
      return (await queue.remove(jobId)) === 1;
    },
    async addBulk(jobs) {
      if (jobs.length === 0) return;
      await queue.addBulk(
        jobs.map((j) => ({
          name,
          data: entry.schema.parse(j.data),
          opts: { ...entry.options, jobId: j.jobId },
        })),
      );
    },
    close: () => queue.close(),
  };
}

export type Processor<N extends JobName> = (
  data: JobData<N>,
  job: Job,
  token: string | undefined,
) => Promise<void>;

/**
 * A typed consumer: payloads are validated against the catalog schema before the processor runs;
 * a payload that does not parse fails at once, without retries (it never will parse).
 */
export function createConsumer<N extends JobName>(
  name: N,
  opts: QueueOptions & Omit<WorkerOptions, "connection" | "prefix">,
  processor: Processor<N>,
): Worker {
  const { connection, prefix, queueName, ...rest } = opts;
  const entry = jobCatalog[name];
  return new Worker(
    queueName ?? name,
    async (job, token) => {
      const parsed = entry.schema.safeParse(job.data);
      if (!parsed.success) {
        throw new UnrecoverableError(`invalid ${name} payload: ${parsed.error.message}`);
      }
      await processor(parsed.data as JobData<N>, job, token);
    },
    { connection, prefix: bullPrefix(prefix), ...rest },
  );
}

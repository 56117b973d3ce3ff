export type { Job, Worker } from "bullmq";
export { DelayedError, UnrecoverableError } from "bullmq";
export type { JobData, JobName } from "./catalog.js";
export {
  ImapAction,
  jobCatalog,
  jobUids,
  MAX_UIDS_PER_JOB,
  MailActJob,
  MailProcessJob,
  WebhookDeliverJob,
} from "./catalog.js";
export { rangeJobs } from "./mail-jobs.js";
export type { PurgeOptions } from "./purge.js";
export { purgeTenantJobs } from "./purge.js";
export type { Processor, Producer, QueueOptions } from "./queues.js";
export { affinityQueueName, createConsumer, createProducer } from "./queues.js";

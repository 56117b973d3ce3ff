export type { FetchBatcher, FetchBatcherOptions, FetchResult } from "./fetch-batcher.js";
export { createFetchBatcher } from "./fetch-batcher.js";
export type { MailProcessDeps, MailProcessOutcome } from "./mail-process.js";
export { createMailProcessor } from "./mail-process.js";
export type { RuleCache } from "./rule-cache.js";
export { createRuleCache } from "./rule-cache.js";
export type { DeliverOutcome, DeliveryTimeouts, WebhookDeliverDeps } from "./webhook-deliver.js";
export { createWebhookDeliverer, DEFAULT_DELIVERY_TIMEOUTS } from "./webhook-deliver.js";

import type { ConnectionPool } from "@mailhook/imap";
import type { Logger } from "@mailhook/log";
import { DEFAULT_FETCH_LIMITS, deliveryId, type FetchLimits, messageKey } from "@mailhook/model";
import type { Producer } from "@mailhook/queue";
import { evaluateRules } from "@mailhook/rules";
import type { DeliveryRecord, Store } from "@mailhook/store";
import { planRuleActions } from "./act-plan.js";
import type { EvaluateMessage } from "./budgeted-evaluate.js";
import {
  createFetchBatcher,
  type FetchBatcherOptions,
  type FetchResult,
  MessageFetchFailed,
} from "./fetch-batcher.js";
import { recordFetchFailure } from "./fetch-failure.js";
import { rulePayload } from "./payloads.js";
import {
  createEndpointCache,
  createMailboxCache,
  type EndpointCache,
  type MailboxCache,
} from "./record-cache.js";
import type { RuleCache } from "./rule-cache.js";

export interface MailProcessDeps {
  store: Store;
  pool: ConnectionPool;
  rules: RuleCache;
  /** Mailbox lookups; defaults to reading the store on every job. */
  mailboxes?: MailboxCache;
  /** Endpoint lookups; defaults to reading the store for every webhook action. */
  endpoints?: EndpointCache;
  deliveries: Producer<"webhook.deliver">;
  /** Makes the first attempt of a new delivery right away (see inline-delivery.ts); default: enqueue. */
  deliverNow?: (
    tenantId: string,
    deliveryId: string,
    endpointId: string,
    /** The record when this call created it (the attempt then need not read it back). */
    created?: DeliveryRecord,
  ) => Promise<void>;
  /** IMAP actions of matched rules (`mail.act`); without it rules' IMAP actions are not run. */
  actions?: Producer<"mail.act">;
  log: Logger;
  limits?: FetchLimits;
  /** Connections per mailbox in the pool: how many batched FETCHes may run per folder at once. */
  poolSize?: number;
  /** Called after each range FETCH with the messages fetched and the message bytes received. */
  onFetched?: (messages: number, bytes: number) => void;
  /** A message was read from its capped source instead of its BODYSTRUCTURE. */
  onFallback?: (uid: number, reason: string, parseError: string | null) => void;
  /** A message could not be fetched even on its own (its records say why). */
  onFetchFailed?: () => void;
  /** FETCH command shape; tests turn the guards off to make a message the server refuses. */
  fetchShape?: FetchBatcherOptions["shape"];
  /** Rule evaluation with a time budget (createBudgetedEvaluator); default: inline, unbounded. */
  evaluate?: EvaluateMessage;
}

/** One message of a `mail.process` job: the unit `processMail` works on. */
export interface MailRef {
  tenantId: string;
  mailboxId: string;
  folder: string;
  uidValidity: number;
  uid: number;
  /** When the watcher saw the UID (ms since epoch). */
  seenAt: number;
}

export type MailProcessOutcome =
  | { kind: "no-rules" }
  | { kind: "mailbox-gone" }
  | { kind: "stale-uidvalidity"; current: number }
  | { kind: "expunged" }
  | { kind: "processed"; matched: number; deliveries: number };

/**
 * `mail.process`: fetch what the folder's rules need (nothing at all when no rule applies), match,
 * and create one delivery per (message, rule, webhook endpoint). Delivery ids are derived from the
 * message key, rule and endpoint, and records are created with SET NX: a retried job, or the same
 * UID enqueued twice, can never fan out twice.
 */
export function createMailProcessor(deps: MailProcessDeps) {
  const batcher = createFetchBatcher({
    pool: deps.pool,
    limits: deps.limits ?? DEFAULT_FETCH_LIMITS,
    ...(deps.poolSize ? { parallel: deps.poolSize } : {}),
    ...(deps.onFetched ? { onFetched: deps.onFetched } : {}),
    ...(deps.onFallback ? { onFallback: deps.onFallback } : {}),
    ...(deps.fetchShape ? { shape: deps.fetchShape } : {}),
  });
  const mailboxes = deps.mailboxes ?? createMailboxCache(deps.store, 0);
  const endpoints = deps.endpoints ?? createEndpointCache(deps.store, 0);
  return async function processMail(job: MailRef): Promise<MailProcessOutcome> {
    const { tenantId, mailboxId, folder, uidValidity, uid } = job;
    const log = deps.log.child({ tenantId, mailboxId, folder, uid });
    // The mailbox and the rules are read together: one auto-pipelined write when both caches are
    // older than a second, as for every message of a quiet mailbox, not one round trip after another.
    const [mailbox, { compiled, needs }] = await Promise.all([
      mailboxes.get(tenantId, mailboxId),
      deps.rules.forFolder(tenantId, mailboxId, folder),
    ]);
    if (!mailbox?.enabled) return { kind: "mailbox-gone" };
    if (compiled.rules.length === 0) return { kind: "no-rules" };

    let fetched: FetchResult;
    try {
      fetched = await batcher.fetch(mailbox, folder, uidValidity, uid, needs);
    } catch (err) {
      if (err instanceof MessageFetchFailed) {
        deps.onFetchFailed?.();
        await recordFetchFailure(deps.store, log, {
          ...job,
          seenAt: job.seenAt,
          rules: compiled.rules,
          error: err,
        });
      }
      // The queue retries the job on its schedule; a success replaces the failure records.
      throw err;
    }
    if (fetched.stale) {
      log.warn(
        { jobUidValidity: uidValidity, current: fetched.current },
        "UIDVALIDITY changed since enqueue; skipping",
      );
      return { kind: "stale-uidvalidity", current: fetched.current };
    }
    const message = fetched.message;
    if (!message) return { kind: "expunged" };

    const matches = deps.evaluate
      ? await deps.evaluate(job, compiled, message)
      : evaluateRules(compiled, message);
    const key = messageKey(mailboxId, folder, uidValidity, uid);
    let deliveries = 0;
    for (const match of matches) {
      // Delivery ids are known before any record exists, so ack-then-act actions can name them all.
      const hooks = [];
      let webhookMissing = false;
      for (const action of match.rule.actions) {
        if (action.type !== "webhook") continue;
        const endpoint = await endpoints.get(tenantId, action.endpoint);
        if (!endpoint) {
          log.error(
            { ruleId: match.rule.id, endpointId: action.endpoint },
            "rule names an endpoint that does not exist",
          );
          webhookMissing = true;
          continue;
        }
        hooks.push({ action, endpoint, id: deliveryId(key, match.rule.id, endpoint.id) });
      }
      const plan = planRuleActions({
        tenantId,
        mailboxId,
        folder,
        uidValidity,
        uid,
        messageKey: key,
        ruleId: match.rule.id,
        actions: match.rule.actions,
        deliveryIds: hooks.map((h) => h.id),
        webhookMissing,
      });
      for (const { action, endpoint, id } of hooks) {
        const now = new Date();
        const payload = rulePayload({
          deliveryId: id,
          now,
          source: { tenantId, mailbox: { id: mailbox.id, address: mailbox.address }, folder },
          message,
          rule: { id: match.rule.id, name: match.rule.name },
          extracted: match.extracted,
          include: action.include,
        });
        const { record, created } = await deps.store.createDelivery({
          id,
          tenantId,
          endpointId: endpoint.id,
          ruleId: match.rule.id,
          mailboxId,
          folder,
          uidValidity,
          uid,
          messageKey: key,
          status: "pending",
          body: JSON.stringify(payload),
          createdAt: now.toISOString(),
          updatedAt: now.toISOString(),
          seenAt: job.seenAt,
          attempts: [],
          lastError: null,
          ...(plan.followUp ? { followUps: [plan.followUp] } : {}),
        });
        // Enqueue even when the record existed and is still pending: the earlier run may have died
        // between the two writes. The job id dedups a live duplicate.
        if (record.status === "pending") {
          if (deps.deliverNow) await deps.deliverNow(tenantId, id, endpoint.id, created ? record : undefined);
          else await deps.deliveries.add(id, { tenantId, deliveryId: id });
          deliveries++;
        }
      }
      if (plan.now) await deps.actions?.add(plan.now.jobId, plan.now.data);
    }
    log.debug({ matched: matches.length, deliveries }, "processed");
    return { kind: "processed", matched: matches.length, deliveries };
  };
}

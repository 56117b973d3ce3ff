import type { Logger } from "@mailhook/log";
import { deliveryId, messageKey } from "@mailhook/model";
import type { Rule } from "@mailhook/rules";
import type { Store } from "@mailhook/store";
import type { MessageFetchFailed } from "./fetch-batcher.js";

export interface FetchFailureArgs {
  tenantId: string;
  mailboxId: string;
  folder: string;
  uidValidity: number;
  uid: number;
  seenAt: number;
  /** The rules in scope for the folder: each webhook they name gets a record. */
  rules: readonly { rule: Rule }[];
  error: MessageFetchFailed;
}

/**
 * A message the server refuses to hand out even on its own gets a `failed` record, with the
 * server's answer and `stage: "fetch"`, for every (rule in scope, webhook endpoint): the same ids
 * its real deliveries would have, so the API shows it where a user looks, and a later successful
 * fetch replaces the records (see Store.createDelivery). Rules are not evaluated: nothing is known
 * of the message beyond its UID. Returns how many records were created.
 */
export async function recordFetchFailure(store: Store, log: Logger, a: FetchFailureArgs): Promise<number> {
  const key = messageKey(a.mailboxId, a.folder, a.uidValidity, a.uid);
  const reason = `IMAP fetch failed: ${a.error.serverText}`;
  let created = 0;
  for (const { rule } of a.rules) {
    for (const action of rule.actions) {
      if (action.type !== "webhook") continue;
      const id = deliveryId(key, rule.id, action.endpoint);
      const now = new Date().toISOString();
      const r = await store.createDelivery({
        id,
        tenantId: a.tenantId,
        endpointId: action.endpoint,
        ruleId: rule.id,
        mailboxId: a.mailboxId,
        folder: a.folder,
        uidValidity: a.uidValidity,
        uid: a.uid,
        messageKey: key,
        status: "pending",
        body: "",
        createdAt: now,
        updatedAt: now,
        seenAt: a.seenAt,
        attempts: [],
        lastError: reason,
        stage: "fetch",
      });
      if (!r.created) continue;
      // Failed at once: listed with the endpoint's failures and kept for the retention period.
      await store.recordAttempt(id, null, "failed", reason, r.record);
      created++;
    }
  }
  log.error({ uid: a.uid, error: a.error.serverText, records: created }, "message could not be fetched");
  return created;
}

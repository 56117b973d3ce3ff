import type { Logger } from "@mailhook/log";
import { MailActJob, type Producer } from "@mailhook/queue";
import type { DeliveryRecord, Store } from "@mailhook/store";

export interface FollowUpDeps {
  store: Store;
  log: Logger;
  /** Without a producer (a worker that runs no actions) follow-ups stay waiting. */
  actions?: Producer<"mail.act">;
}

/**
 * Ack-then-act: called whenever a delivery that carries follow-ups reaches a final state.
 *
 * - delivered: when every delivery the follow-up waits for is delivered, its `mail.act` job is
 *   enqueued. Each delivery writes its own status before reading the others', so of two that
 *   finish together at least one sees both delivered; the job id keeps a double enqueue single.
 * - failed or dead: the actions never run; every record involved says why. A later replay that
 *   delivers re-evaluates the follow-up, so a fixed receiver still gets the message acted on.
 */
export async function settleFollowUps(deps: FollowUpDeps, rec: DeliveryRecord): Promise<void> {
  for (const f of rec.followUps ?? []) {
    if (f.state === "enqueued" || f.state === "done" || f.state === "failed") continue;
    const log = deps.log.child({ deliveryId: rec.id, actJobId: f.jobId });
    if (rec.status === "failed" || rec.status === "dead") {
      if (f.state === "skipped") continue;
      const reason = `webhook ${rec.id} ${rec.status === "dead" ? "was dead-lettered" : "failed"}: IMAP actions not run`;
      for (const id of f.after) await deps.store.setFollowUpState(id, f.jobId, "skipped", reason);
      log.warn({ reason }, "ack-then-act actions skipped");
      continue;
    }
    if (rec.status !== "delivered") continue;
    const others = await Promise.all(
      f.after
        .filter((id) => id !== rec.id)
        .map(async (id) => ({ id, rec: await deps.store.getDelivery(id) })),
    );
    const missing = others.find((o) => !o.rec);
    const failed = others.find((o) => o.rec?.status === "failed" || o.rec?.status === "dead");
    if (missing || failed) {
      const reason = missing
        ? `webhook ${missing.id} has no record any more: IMAP actions not run`
        : `webhook ${failed!.id} ${failed!.rec!.status === "dead" ? "was dead-lettered" : "failed"}: IMAP actions not run`;
      await deps.store.setFollowUpState(rec.id, f.jobId, "skipped", reason);
      continue;
    }
    if (others.some((o) => o.rec?.status === "pending")) continue; // the last one to finish enqueues
    if (!deps.actions) {
      log.warn({}, "follow-up ready but this worker has no mail.act producer");
      continue;
    }
    await deps.actions.add(f.jobId, MailActJob.parse(f.data));
    for (const id of f.after) await deps.store.setFollowUpState(id, f.jobId, "enqueued", null);
    log.debug({}, "ack-then-act actions enqueued");
  }
}

import type { MailMessage } from "@mailhook/model";
import type { Rule } from "@mailhook/rules";
import { imapStack } from "./lazy.js";
import type { Services } from "./services.js";

/** A payload larger than this is described (size, ids) but not returned by the dry run. */
export const DRY_RUN_PAYLOAD_BYTES = 256 * 1024;
/** All payloads of one dry run together (50 messages × many rules could otherwise add up). */
export const DRY_RUN_PAYLOADS_TOTAL_BYTES = 4 * 1024 * 1024;

/**
 * The webhook bodies a dry run shows for a matched rule: built by the pipeline's own payload
 * function (the one mail.process stores and sends), with the tenant's mailbox address when the
 * message is placed in one of its mailboxes, and the delivery ids the worker would use.
 */
export async function payloadBuilder(svc: Services, tenantId: string, rules: Rule[]) {
  // The pipeline is part of the lazily loaded stack; a dry run loads it anyway (the MIME parser).
  const { dryRunWebhooks } = await imapStack();
  const byId = new Map(rules.map((r) => [r.id, r]));
  const endpointIds = new Set((await svc.deps.store.listEndpoints(tenantId)).map((e) => e.id));
  const addresses = new Map<string, string>();
  let total = 0;
  const addressOf = async (mailboxId: string): Promise<string> => {
    let a = addresses.get(mailboxId);
    if (a === undefined) {
      a = (await svc.deps.store.getMailbox(tenantId, mailboxId))?.address ?? "";
      addresses.set(mailboxId, a);
    }
    return a;
  };
  return async (
    message: MailMessage,
    result: { rule: { id: string }; extracted: Record<string, string | null> },
  ) => {
    const rule = byId.get(result.rule.id);
    if (!rule) return [];
    const source = {
      tenantId,
      mailbox: { id: message.mailboxId, address: await addressOf(message.mailboxId) },
      folder: message.folder,
    };
    return dryRunWebhooks({ source, message, rule, extracted: result.extracted, endpointIds }).map((w) => {
      const bytes = Buffer.byteLength(JSON.stringify(w.payload));
      const omitted =
        bytes > DRY_RUN_PAYLOAD_BYTES
          ? `${bytes} bytes, more than the ${DRY_RUN_PAYLOAD_BYTES} a dry run returns`
          : total + bytes > DRY_RUN_PAYLOADS_TOTAL_BYTES
            ? `the answer already holds ${total} bytes of payloads (at most ${DRY_RUN_PAYLOADS_TOTAL_BYTES})`
            : null;
      if (omitted === null) total += bytes;
      return {
        endpointId: w.endpointId,
        deliveryId: w.deliveryId,
        endpointExists: w.endpointExists,
        bytes,
        payload: omitted === null ? w.payload : null,
        omitted,
      };
    });
  };
}

import { createHash } from "node:crypto";

/**
 * Deterministic id of one message in one folder generation, used as the `mail.process` job id so a
 * re-enqueue after a crash is deduplicated by BullMQ. BullMQ refuses ':' in custom ids, so parts are
 * joined with '~' and the folder is percent-encoded (which also escapes ':' and '~' inside names).
 */
export function messageKey(mailboxId: string, folder: string, uidValidity: number, uid: number): string {
  return `${mailboxId}~${folderKey(folder)}~${uidValidity}~${uid}`;
}

/** A folder name made safe for Redis keys and job ids, still readable (`INBOX`, `Archive%2F2024`). */
export function folderKey(folder: string): string {
  return encodeURIComponent(folder).replaceAll("~", "%7E");
}

/** Deterministic delivery id for one (message, rule, endpoint): a retried step never fans out twice. */
export function deliveryId(messageKey: string, ruleId: string, endpointId: string): string {
  const h = createHash("sha256").update(`${messageKey}\0${ruleId}\0${endpointId}`).digest("base64url");
  return `msg_${h.slice(0, 26)}`;
}

import { describeError, describeErrorForTenant } from "@mailhook/imap";
import { fetchMessages } from "@mailhook/mime";
import { DEFAULT_FETCH_LIMITS, type MailMessage } from "@mailhook/model";
import { needsOf, type Rule } from "@mailhook/rules";
import { ApiError } from "./errors.js";
import { checkImapHost, loadMailbox, probeTarget } from "./mailboxes.js";
import type { Services } from "./services.js";
import { withSession } from "./verify-mailbox.js";

/**
 * The latest `count` messages of a mailbox folder, fetched the way the worker fetches them: the
 * fetch planner reads only what the rules need (disabled rules included, since a dry run explains
 * them too). The folder is opened read-only and every fetch uses PEEK: nothing is marked \\Seen.
 */
export async function recentMessages(
  svc: Services,
  tenantId: string,
  mailboxId: string,
  folder: string,
  count: number,
  rules: Rule[],
): Promise<MailMessage[]> {
  const m = await loadMailbox(svc, tenantId, mailboxId);
  const dest = await checkImapHost(svc, tenantId, m);
  const oauth = await svc.oauth.get(tenantId, mailboxId);
  const needs = needsOf(rules.map((r) => ({ ...r, enabled: true })));
  try {
    return await withSession(probeTarget(m, m.password, oauth !== null, dest), 30_000, async (client) => {
      const box = await client.mailboxOpen(folder, { readOnly: true });
      if (box.exists === 0) return [];
      const first = Math.max(1, box.exists - count + 1);
      const uids: number[] = [];
      for await (const msg of client.fetch(`${first}:*`, { uid: true })) uids.push(msg.uid);
      const target = { mailboxId, folder, uidValidity: Number(box.uidValidity) };
      const byUid = await fetchMessages(
        client,
        target,
        uids.slice(-count),
        needs,
        svc.deps.fetchLimits ?? DEFAULT_FETCH_LIMITS,
      );
      return [...byUid.values()].reverse();
    });
  } catch (err) {
    svc.deps.log.info({ tenantId, mailboxId, err: describeError(err) }, "reading recent messages failed");
    throw new ApiError(
      422,
      "MAILBOX_VERIFY_FAILED",
      `could not read the mailbox: ${describeErrorForTenant(err)}`,
      [{ path: "body.mailbox", reason: "the login or the folder failed" }],
    );
  }
}

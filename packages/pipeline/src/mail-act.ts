import { announcedSpecialUse, type ConnectionPool } from "@mailhook/imap";
import type { Logger } from "@mailhook/log";
import type { ImapAction, MailActJob } from "@mailhook/queue";
import type { Store } from "@mailhook/store";

/** The imapflow client a pooled connection hands out (pipeline does not depend on imapflow itself). */
type ImapFlow = Parameters<Parameters<ConnectionPool["withFolder"]>[2]>[0]["client"];

export interface MailActDeps {
  store: Store;
  pool: ConnectionPool;
  log: Logger;
  /**
   * A move or copy to a folder that does not exist creates it. Off by default: a typo in a rule
   * would otherwise sprout folders; the job then fails permanently, naming the folder.
   */
  createFolders?: boolean;
}

/** Why an action could not be done; `retryable: false` stops BullMQ's retries at once. */
export class MailActError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "MailActError";
  }
}

export type ActionResult =
  | "done"
  /** Done by an earlier run of the same job (a retry after a crash or timeout). */
  | "done-before"
  /** The message was no longer in the folder: moved or deleted already, by us or someone else. */
  | "gone";

export type MailActOutcome =
  | { kind: "skipped"; reason: string }
  | { kind: "acted"; results: { action: ImapAction["type"]; result: ActionResult }[] };

/**
 * `mail.act`: runs one matched rule's IMAP actions on one message, over the worker's connection pool
 * (the same small per-mailbox pool the fetches use, separate from the watcher's IDLE connection).
 *
 * Idempotent on retry: each finished step is recorded in Redis and skipped by a later run, so a
 * retry never copies twice; a message that is no longer in the folder counts as moved or deleted
 * (success), not as something to retry forever. A job whose UIDVALIDITY no longer matches is
 * skipped: its UID may name a different message now.
 */
export function createMailActor(deps: MailActDeps) {
  return async function act(job: MailActJob, jobId: string): Promise<MailActOutcome> {
    const { tenantId, mailboxId, folder, uidValidity, uid } = job;
    const log = deps.log.child({ tenantId, mailboxId, folder, uid, actJobId: jobId });
    const mailbox = await deps.store.getMailbox(tenantId, mailboxId);
    if (!mailbox?.enabled) return { kind: "skipped", reason: "mailbox removed or disabled" };

    // Ack-then-act is re-checked here, not only when the job was enqueued: a replay or a manual
    // enqueue must not act on a message whose webhook did not arrive.
    for (const id of job.after) {
      const rec = await deps.store.getDelivery(id);
      if (rec?.status !== "delivered") {
        const reason = `webhook ${id} is ${rec?.status ?? "missing"}: actions not run`;
        log.warn({ reason }, "ack-then-act actions skipped");
        return { kind: "skipped", reason };
      }
    }

    const done = await deps.store.actStepsDone(jobId);
    const outcome = await deps.pool.withFolder(
      mailbox,
      folder,
      async ({ client, uidValidity: cached, reopen }) => {
        const current = cached === uidValidity ? cached : await reopen();
        if (current !== uidValidity) {
          return { kind: "skipped", reason: `UIDVALIDITY changed (${uidValidity} → ${current})` } as const;
        }
        const results: { action: ImapAction["type"]; result: ActionResult }[] = [];
        for (const [i, action] of job.actions.entries()) {
          const step = String(i);
          if (done.has(step)) {
            results.push({ action: action.type, result: "done-before" });
            continue;
          }
          if (!(await present(client, uid))) {
            // Every later action concerns the same message: gone is gone for all of them.
            for (const rest of job.actions.slice(i)) results.push({ action: rest.type, result: "gone" });
            break;
          }
          await run(client, action, { uid, folder, step, jobId, done, trash: mailbox.trashFolder });
          await deps.store.markActStep(jobId, step);
          results.push({ action: action.type, result: "done" });
        }
        return { kind: "acted", results } as const;
      },
    );
    if (outcome.kind === "acted") {
      for (const id of job.after) await deps.store.setFollowUpState(id, jobId, "done", null);
      log.info({ results: outcome.results }, "IMAP actions done");
    } else {
      log.warn({ reason: outcome.reason }, "IMAP actions skipped");
    }
    return outcome;
  };

  interface StepContext {
    uid: number;
    folder: string;
    /** The mailbox's explicit Trash folder, if set. */
    trash: string | undefined;
    step: string;
    jobId: string;
    done: Set<string>;
  }

  async function run(client: ImapFlow, action: ImapAction, ctx: StepContext): Promise<void> {
    switch (action.type) {
      case "flag": {
        if (action.add?.length)
          await must(client.messageFlagsAdd(String(ctx.uid), action.add, { uid: true }), "STORE +FLAGS");
        if (action.remove?.length)
          await must(
            client.messageFlagsRemove(String(ctx.uid), action.remove, { uid: true }),
            "STORE -FLAGS",
          );
        return;
      }
      case "copy":
        return copy(client, action.to, ctx);
      case "move":
        return move(client, action.to, ctx);
      case "delete": {
        if (action.expunge) return expunge(client, ctx.uid);
        const trash = await trashFolder(client, ctx.trash);
        if (!trash) {
          throw new MailActError(
            "delete: the server announces no \\Trash folder (SPECIAL-USE) and the mailbox sets no trashFolder; set trashFolder, or use expunge: true to delete for good",
            false,
          );
        }
        // Deleting what is already in the Trash removes it for good, as mail clients do.
        if (trash === ctx.folder) return expunge(client, ctx.uid);
        return move(client, trash, ctx);
      }
    }
  }

  async function copy(client: ImapFlow, to: string, ctx: StepContext): Promise<void> {
    await ensureTarget(client, to, async () => client.messageCopy(String(ctx.uid), to, { uid: true }));
  }

  /**
   * MOVE when the server has it (atomic). Otherwise COPY, then `\Deleted`, then UID EXPUNGE of just
   * this UID (UIDPLUS). Without UIDPLUS the only expunge is a plain EXPUNGE, which also removes every
   * other message someone marked `\Deleted` in the folder: mailhook does not do that, and leaves the
   * original marked `\Deleted` (hidden by most clients, removed by the next expunge).
   */
  async function move(client: ImapFlow, to: string, ctx: StepContext): Promise<void> {
    if (client.capabilities.has("MOVE")) {
      await ensureTarget(client, to, async () => client.messageMove(String(ctx.uid), to, { uid: true }));
      return;
    }
    const copied = `${ctx.step}:copied`;
    if (!ctx.done.has(copied)) {
      await copy(client, to, ctx);
      // Remembered before the original is touched: a retry after a crash here must not copy again.
      await deps.store.markActStep(ctx.jobId, copied);
    }
    await expunge(client, ctx.uid);
  }

  async function expunge(client: ImapFlow, uid: number): Promise<void> {
    if (client.capabilities.has("UIDPLUS")) {
      await must(client.messageDelete(String(uid), { uid: true }), "STORE \\Deleted + UID EXPUNGE");
    } else {
      await must(
        client.messageFlagsAdd(String(uid), ["\\Deleted"], { uid: true }),
        "STORE +FLAGS (\\Deleted)",
      );
    }
  }

  /**
   * Runs a COPY or MOVE; when it fails, finds out whether the target folder is missing (imapflow
   * reports only false): then creates it (option) and tries once more, or fails for good, naming it.
   */
  async function ensureTarget(client: ImapFlow, to: string, op: () => Promise<unknown>): Promise<void> {
    if ((await op()) !== false) return;
    if (await folderExists(client, to)) throw new MailActError(`copying to ${to} failed`, true);
    if (!deps.createFolders) {
      throw new MailActError(
        `target folder "${to}" does not exist (create it, or let mailhook create missing folders)`,
        false,
      );
    }
    try {
      await client.mailboxCreate(to);
    } catch (err) {
      // Another job may have created it just now.
      if (!(await folderExists(client, to))) throw err;
    }
    if ((await op()) === false) throw new MailActError(`copying to ${to} failed after creating it`, true);
  }
}

/** Whether the UID is still in the selected folder. A pooled connection may not have heard of a
 * recent message yet (see mail-process), so a miss is checked once more after a NOOP. */
async function present(client: ImapFlow, uid: number): Promise<boolean> {
  const once = async () => (await client.fetchOne(String(uid), { uid: true }, { uid: true })) !== false;
  if (await once()) return true;
  await client.noop();
  return once();
}

async function folderExists(client: ImapFlow, path: string): Promise<boolean> {
  const boxes = await client.list();
  const same = (p: string) => (p.toUpperCase() === "INBOX" ? path.toUpperCase() === "INBOX" : p === path);
  return boxes.some((b) => same(b.path));
}

/** The mailbox's `trashFolder` setting, else the folder the server itself flags `\Trash`. */
async function trashFolder(client: ImapFlow, configured: string | undefined): Promise<string | null> {
  if (configured) return configured;
  const boxes = await client.list();
  return boxes.find((b) => announcedSpecialUse(b) === "\\Trash")?.path ?? null;
}

async function must(result: Promise<boolean>, what: string): Promise<void> {
  if (!(await result)) throw new MailActError(`${what} failed`, true);
}

/**
 * The cluster-wide budget of a mailbox had no free session and this worker holds none for it: the
 * job is deferred (not failed) so that it can run later, or on the worker that holds the sessions.
 */
export class SessionBudgetFull extends Error {
  readonly code = "IMAP_SESSION_BUDGET_FULL";
  readonly retryable = true;
  constructor(
    readonly mailboxId: string,
    /** Workers holding the mailbox's sessions now (ids only). */
    readonly holders: string[],
  ) {
    super(`no IMAP session free for mailbox ${mailboxId} (held by ${holders.length} other worker(s))`);
    this.name = "SessionBudgetFull";
  }
}

/**
 * Sessions a mailbox may have across all workers: the operator's `perMailbox`, lowered (never
 * raised) by the mailbox's own `maxSessions`; at least 1, or the mailbox could never be read.
 */
export function sessionLimit(perMailbox: number, maxSessions?: number): number {
  const own =
    maxSessions !== undefined && Number.isFinite(maxSessions) ? Math.floor(maxSessions) : perMailbox;
  return Math.max(1, Math.min(perMailbox, own));
}

/**
 * How long a job deferred by a full budget waits before it is tried again: 250 ms doubling per
 * deferral of the same job up to 5 s, with jitter (half to all of it), so deferred jobs of a busy
 * mailbox do not return all at once. `deferrals` counts earlier deferrals of this job (0 first).
 */
export function budgetDeferDelay(deferrals: number, random: () => number = Math.random): number {
  const base = Math.min(250 * 2 ** Math.max(0, Math.min(deferrals, 10)), 5_000);
  return Math.round(base * (0.5 + random() / 2));
}

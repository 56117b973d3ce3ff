/** A place in the queue of a ConnectGate. */
export interface GateTicket {
  /** Resolves with a release function once a slot is free, or with null if cancelled first. */
  ready: Promise<(() => void) | null>;
  /** Leaves the queue (no-op once the slot was granted: release it instead). */
  cancel(): void;
}

export interface ConnectGate {
  enter(): GateTicket;
  /** Slots in use and tickets waiting, for tests and logs. */
  readonly inUse: number;
  readonly waiting: number;
}

/**
 * Bounds how many IMAP connections one watcher sets up at once (connect, login, SELECT, cursor),
 * first come first served. Taking 3,000 mailboxes at once otherwise starts 3,000 handshakes in one
 * tick: the event loop is busy for longer than a lease TTL, the renewal timer runs too late, and
 * the replica loses every lease it just took (measured in bench/scale.ts: it never settled). With
 * the gate the rest wait in a queue that costs nothing, and renewals keep their schedule.
 *
 * @example
 * const gate = createConnectGate(128);
 * const release = await gate.enter().ready; // null only when cancelled
 * try { await connect(); } finally { release?.(); }
 */
export function createConnectGate(limit: number): ConnectGate {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`connect gate limit must be ≥ 1: ${limit}`);
  let inUse = 0;
  const queue: ((release: () => void) => void)[] = [];
  const grant = (): (() => void) => {
    inUse++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      inUse--;
      const next = queue.shift();
      if (next) next(grant());
    };
  };
  return {
    enter(): GateTicket {
      if (inUse < limit && queue.length === 0) {
        const release = grant();
        return { ready: Promise.resolve(release), cancel() {} };
      }
      let settle!: (r: (() => void) | null) => void;
      const ready = new Promise<(() => void) | null>((r) => {
        settle = r;
      });
      const waiter = (release: () => void) => settle(release);
      queue.push(waiter);
      return {
        ready,
        cancel() {
          const i = queue.indexOf(waiter);
          if (i < 0) return;
          queue.splice(i, 1);
          settle(null);
        },
      };
    },
    get inUse() {
      return inUse;
    },
    get waiting() {
      return queue.length;
    },
  };
}

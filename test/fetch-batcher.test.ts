import { createConnectionPool } from "@mailhook/imap";
import { createLogger } from "@mailhook/log";
import { DEFAULT_FETCH_LIMITS, NO_NEEDS } from "@mailhook/model";
import { createFetchBatcher } from "@mailhook/pipeline";
import { makeMail, startDovecot, type TestDovecot } from "@mailhook/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testOutbound } from "./support/outbound.js";
import { mailboxFor } from "./support/stack.js";

let dovecot: TestDovecot;
beforeAll(async () => {
  dovecot = await startDovecot();
});
afterAll(async () => {
  await dovecot?.stop();
});

describe("fetch batcher", () => {
  it("coalesces concurrent per-UID fetches of one folder into a few range FETCHes, each result correct", async () => {
    const user = await dovecot.createUser("batch");
    const raws = await Promise.all(
      Array.from({ length: 60 }, (_, i) => makeMail({ subject: `m${i + 1}`, text: `body ${i + 1}` })),
    );
    await dovecot.appendMany(user.user, "INBOX", raws);
    const pool = createConnectionPool({
      log: createLogger({ name: "test", level: "silent" }),
      maxPerMailbox: 2,
      outbound: testOutbound(),
    });
    try {
      const batcher = createFetchBatcher({ pool, limits: DEFAULT_FETCH_LIMITS, parallel: 2 });
      const mbx = mailboxFor(dovecot, user, "batch");
      const imap = await dovecot.client(user);
      const status = await imap.mailboxOpen("INBOX");
      const uidValidity = Number(status.uidValidity);
      await imap.logout();
      const needs = { ...NO_NEEDS, text: true };
      // 60 jobs asking at once, plus a UID that does not exist.
      const results = await Promise.all(
        [...Array.from({ length: 60 }, (_, i) => i + 1), 999].map((uid) =>
          batcher.fetch(mbx, "INBOX", uidValidity, uid, needs),
        ),
      );
      for (let i = 0; i < 60; i++) {
        const r = results[i]!;
        expect(r.stale).toBe(false);
        if (r.stale) continue;
        expect(r.message?.uid).toBe(i + 1);
        expect(r.message?.subject).toBe(`m${i + 1}`);
        expect(r.message?.text).toContain(`body ${i + 1}`);
      }
      expect(results[60]).toEqual({ stale: false, message: null });
      const { batches, uids } = batcher.stats();
      expect(uids).toBe(61);
      expect(batches).toBeLessThanOrEqual(3);

      // Mail that arrives after the pooled session selected the folder: one NOOP makes it visible,
      // no FETCH comes back empty; UIDs the session already knows need none.
      const noopsBefore = batcher.stats().noops;
      await dovecot.append(user.user, "INBOX", await makeMail({ subject: "late" }));
      const late = await batcher.fetch(mbx, "INBOX", uidValidity, 61, needs);
      expect(late.stale === false && late.message?.subject).toBe("late");
      expect(batcher.stats().noops).toBe(noopsBefore + 1);
      await batcher.fetch(mbx, "INBOX", uidValidity, 30, needs);
      expect(batcher.stats().noops).toBe(noopsBefore + 1);

      // A job from an older folder generation is reported stale, not fetched.
      const stale = await batcher.fetch(mbx, "INBOX", uidValidity - 1, 1, needs);
      expect(stale).toEqual({ stale: true, current: uidValidity });
    } finally {
      await pool.close();
    }
  });
});

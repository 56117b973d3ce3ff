import { createLogger } from "@mailhook/log";
import type { MailProcessJob, Producer } from "@mailhook/queue";
import { describe, expect, it } from "vitest";
import type { MailProcessOutcome, MailRef } from "./mail-process.js";
import { limitConcurrency, processMailRange } from "./mail-range.js";

const log = createLogger({ name: "test", level: "silent" });
const job: MailProcessJob = {
  tenantId: "t1",
  mailboxId: "mbx",
  folder: "INBOX",
  uidValidity: 7,
  uids: [1, 2, 3, 4],
  seenAt: 1,
};

/** A producer that records what would be queued (the unit under test only calls addBulk). */
function recordingProducer() {
  const added: { jobId: string; data: unknown }[][] = [];
  const producer = {
    addBulk: async (jobs: { jobId: string; data: unknown }[]) => {
      added.push(jobs);
    },
  } as unknown as Producer<"mail.process">;
  return { producer, added };
}

const processed: MailProcessOutcome = { kind: "processed", matched: 1, deliveries: 1 };

describe("processMailRange", () => {
  it("runs every UID of the range", async () => {
    const seen: number[] = [];
    const { producer, added } = recordingProducer();
    const result = await processMailRange(
      {
        processMail: async (r: MailRef) => {
          seen.push(r.uid);
          return processed;
        },
        retry: producer,
        log,
        concurrency: 2,
      },
      job,
    );
    expect(seen.sort()).toEqual([1, 2, 3, 4]);
    expect(result.outcomes).toHaveLength(4);
    expect(added).toEqual([]);
  });

  it("queues a failing member on its own and completes the rest", async () => {
    const { producer, added } = recordingProducer();
    const result = await processMailRange(
      {
        processMail: async (r: MailRef) => {
          if (r.uid === 3) throw new Error("BAD command line too large");
          return processed;
        },
        retry: producer,
        log,
        concurrency: 4,
      },
      job,
    );
    expect(result.requeued).toEqual([3]);
    expect(added).toEqual([
      [
        {
          jobId: "mbx~INBOX~7~3",
          data: { tenantId: "t1", mailboxId: "mbx", folder: "INBOX", uidValidity: 7, uid: 3, seenAt: 1 },
        },
      ],
    ]);
  });

  it("fails as a whole when every member failed (BullMQ's backoff then applies to the job)", async () => {
    const { producer, added } = recordingProducer();
    await expect(
      processMailRange(
        {
          processMail: async () => {
            throw new Error("connection lost");
          },
          retry: producer,
          log,
          concurrency: 4,
        },
        job,
      ),
    ).rejects.toThrow("connection lost");
    expect(added).toEqual([]);
  });
});

describe("limitConcurrency", () => {
  it("never runs more than the limit at once, and runs everything", async () => {
    let active = 0;
    let peak = 0;
    const run = limitConcurrency(3, async (n: number) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, n % 3));
      active--;
      return n * 2;
    });
    const out = await Promise.all(Array.from({ length: 40 }, (_, i) => run(i)));
    expect(peak).toBe(3);
    expect(out).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
  });

  it("frees the slot when the function throws", async () => {
    const run = limitConcurrency(1, async (n: number) => {
      if (n === 0) throw new Error("boom");
      return n;
    });
    await expect(run(0)).rejects.toThrow("boom");
    expect(await run(1)).toBe(1);
  });
});

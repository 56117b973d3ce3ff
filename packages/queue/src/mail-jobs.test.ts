import { describe, expect, it } from "vitest";
import { jobUids, MailProcessJob } from "./catalog.js";
import { rangeJobs } from "./mail-jobs.js";

const ref = { tenantId: "t1", mailboxId: "mbx", folder: "INBOX", uidValidity: 7, seenAt: 1 };

describe("rangeJobs", () => {
  it("splits a batch into jobs of at most maxUids, ids derived from the first and last UID", () => {
    const jobs = rangeJobs(ref, [1, 2, 3, 4, 5], 2);
    expect(jobs.map((j) => j.jobId)).toEqual(["mbx~INBOX~7~1-2", "mbx~INBOX~7~3-4", "mbx~INBOX~7~5"]);
    expect(jobs.map((j) => jobUids(j.data))).toEqual([[1, 2], [3, 4], [5]]);
    for (const j of jobs) expect(MailProcessJob.safeParse(j.data).success).toBe(true);
  });

  it("gives a lone UID the per-message job id, the same a retried member gets", () => {
    expect(rangeJobs(ref, [42], 100)).toEqual([{ jobId: "mbx~INBOX~7~42", data: { ...ref, uid: 42 } }]);
  });

  it("is deterministic: the same batch twice gives the same ids (BullMQ drops the second)", () => {
    expect(rangeJobs(ref, [9, 10, 11], 100)).toEqual(rangeJobs(ref, [9, 10, 11], 100));
  });

  it("makes no job of an empty batch", () => {
    expect(rangeJobs(ref, [], 100)).toEqual([]);
  });
});

describe("MailProcessJob", () => {
  it("needs a uid or uids", () => {
    expect(MailProcessJob.safeParse(ref).success).toBe(false);
    expect(MailProcessJob.safeParse({ ...ref, uids: [] }).success).toBe(false);
    expect(MailProcessJob.safeParse({ ...ref, uid: 0 }).success).toBe(false);
  });

  it("reads jobs of the single-UID form", () => {
    const parsed = MailProcessJob.parse({ ...ref, uid: 3 });
    expect(jobUids(parsed)).toEqual([3]);
  });

  it("orders and dedups the UIDs a job stands for", () => {
    expect(jobUids({ uids: [5, 3, 5], uid: 3 })).toEqual([3, 5]);
  });
});

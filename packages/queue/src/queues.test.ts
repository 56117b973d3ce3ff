import { describe, expect, it } from "vitest";
import { affinityQueueName } from "./queues.js";

describe("affinityQueueName", () => {
  it("names a worker's own queue after its catalog queue, without the ':' BullMQ refuses", () => {
    expect(affinityQueueName("mail.process", "worker-7f9c-1")).toBe("mail.process@worker-7f9c-1");
    expect(affinityQueueName("mail.process", "host:1/{x}")).toBe("mail.process@host%3A1%2F%7Bx%7D");
    expect(affinityQueueName("mail.process", "host:1")).not.toContain(":");
  });
  it("keeps different worker ids apart", () => {
    expect(affinityQueueName("mail.process", "a:b")).not.toBe(affinityQueueName("mail.process", "a_b"));
  });
});

import {
  type StartDovecotOptions,
  startDovecot,
  startReceiver,
  startRedis,
  type TestDovecot,
  type TestReceiver,
  type TestRedis,
} from "@mailhook/testing";
import { afterAll, afterEach, beforeAll } from "vitest";
import { Stack, type StackOptions } from "./stack.js";

export interface World {
  redis: TestRedis;
  dovecot: TestDovecot;
  receiver: TestReceiver;
  /** A mailhook stack on this world's Redis, stopped after the test that made it. */
  stack(opts?: Omit<StackOptions, "redisUrl">): Stack;
}

/**
 * The real components one test file shares: a Redis, a Dovecot and an HTTP receiver, started
 * before its tests and stopped after them. Call at the top level of the file.
 */
export function useWorld(opts: { dovecot?: StartDovecotOptions } = {}): World {
  const stacks: Stack[] = [];
  const world = {
    stack(o: Omit<StackOptions, "redisUrl"> = {}) {
      const s = new Stack({ redisUrl: world.redis.url, ...o });
      stacks.push(s);
      return s;
    },
  } as World;
  beforeAll(async () => {
    [world.redis, world.dovecot, world.receiver] = await Promise.all([
      startRedis(),
      startDovecot(opts.dovecot),
      startReceiver(),
    ]);
  });
  afterEach(async () => {
    await Promise.all(stacks.splice(0).map((s) => s.stop()));
  });
  afterAll(async () => {
    await Promise.all([world.redis?.stop(), world.dovecot?.stop(), world.receiver?.stop()]);
  });
  return world;
}

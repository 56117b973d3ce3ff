import type { ImapUser } from "@mailhook/testing";
import type { WatcherService } from "@mailhook/watcher";
import { describe, expect, it } from "vitest";
import { mailboxFor, type Stack, waitUntil } from "./support/stack.js";
import { useWorld } from "./support/world.js";

// Several watcher replicas (in-process, each with its own Redis connection) on one installation.
// Every check waits for a state; none relies on how fast the machine is.
const world = useWorld();
const MAILBOXES = 12;

async function installation(): Promise<{ stacks: Stack[]; users: ImapUser[]; replica(): Stack }> {
  const first = world.stack();
  const users: ImapUser[] = [];
  for (let i = 0; i < MAILBOXES; i++) {
    const user = await world.dovecot.createUser(`own${i}`);
    users.push(user);
    await first.store.putMailbox(mailboxFor(world.dovecot, user, `m${i}`));
  }
  const stacks = [first];
  return {
    stacks,
    users,
    replica() {
      const s = world.stack({ prefix: first.prefix, secrets: first.secrets });
      stacks.push(s);
      return s;
    },
  };
}

const counts = (ws: WatcherService[]) => ws.map((w) => w.supervisor.owned().length).sort((a, b) => a - b);

/** Every mailbox IDLE (connected) under the replica that holds its lease, and one session each on Dovecot. */
async function settled(stack: Stack, ws: WatcherService[], users: ImapUser[]): Promise<boolean> {
  const owners = new Map<string, string>();
  ws.forEach((w, i) => {
    for (const ref of w.supervisor.owned()) owners.set(ref, `w${i}`);
  });
  if (owners.size !== MAILBOXES) return false;
  for (let i = 0; i < MAILBOXES; i++) {
    const st = (await stack.store.getFolderStatuses("default", `m${i}`)).INBOX;
    if (st?.state !== "connected" || st.idleSince === null) return false;
  }
  const sessions = await world.dovecot.sessions();
  return users.every((u) => sessions.get(u.user) === 1);
}

describe("watcher replicas share mailboxes", () => {
  it("started together: an even split, every mailbox IDLE once, status by the owner", async () => {
    const { stacks, users, replica } = await installation();
    replica();
    replica();
    const ws = await Promise.all(stacks.map((s, i) => s.startWatcher(`w${i}`)));
    await waitUntil(
      async () => counts(ws).join() === "4,4,4" && (await settled(stacks[0]!, ws, users)),
      45_000,
      "4/4/4, all IDLE",
    );
    for (let i = 0; i < MAILBOXES; i++) {
      const st = (await stacks[0]!.store.getFolderStatuses("default", `m${i}`)).INBOX;
      const holder = ws.findIndex((w) => w.supervisor.owned().includes(`default/m${i}`));
      expect(st?.owner).toBe(`w${holder}`);
    }
  });

  it("started one after another: the first takes all, each newcomer receives its share by hand-over", async () => {
    const { stacks, users, replica } = await installation();
    const ws = [await stacks[0]!.startWatcher("w0")];
    await waitUntil(
      async () => counts(ws).join() === "12" && (await settled(stacks[0]!, ws, users)),
      45_000,
      "one owns all",
    );
    ws.push(await replica().startWatcher("w1"));
    await waitUntil(
      async () => counts(ws).join() === "6,6" && (await settled(stacks[0]!, ws, users)),
      45_000,
      "6/6",
    );
    ws.push(await replica().startWatcher("w2"));
    await waitUntil(
      async () => counts(ws).join() === "4,4,4" && (await settled(stacks[0]!, ws, users)),
      45_000,
      "4/4/4",
    );
  });

  it("a replica that stops hands its mailboxes to the others at once; a replacement gets its share back", async () => {
    const { stacks, users, replica } = await installation();
    replica();
    replica();
    const ws = await Promise.all(stacks.map((s, i) => s.startWatcher(`w${i}`)));
    await waitUntil(
      async () => counts(ws).join() === "4,4,4" && (await settled(stacks[0]!, ws, users)),
      45_000,
      "4/4/4",
    );
    await stacks[2]!.stopWatcher();
    const left = ws.slice(0, 2);
    // Well before the lease TTL (3 s here) would have run out, had the leases not been released.
    await waitUntil(
      async () => counts(left).join() === "6,6" && (await settled(stacks[0]!, left, users)),
      45_000,
      "6/6 after stop",
    );
    left.push(await replica().startWatcher("w3"));
    await waitUntil(
      async () => counts(left).join() === "4,4,4" && (await settled(stacks[0]!, left, users)),
      45_000,
      "4/4/4 again",
    );
  });

  it("WATCHER_RESTART_GRACE_MS: a replica restarted under its id gets its own mailboxes back without a detour; one that stays away loses them after the grace", async () => {
    const { stacks, users, replica } = await installation();
    replica();
    replica();
    const ws = await Promise.all(
      stacks.map((s, i) => s.startWatcher(`w${i}`, i === 2 ? { restartGraceMs: 60_000 } : {})),
    );
    await waitUntil(
      async () => counts(ws).join() === "4,4,4" && (await settled(stacks[0]!, ws, users)),
      45_000,
      "4/4/4",
    );
    const own = new Set(ws[2]!.supervisor.owned());
    const survivors = ws.slice(0, 2);
    const detours = () => survivors.flatMap((w) => w.supervisor.owned()).filter((ref) => own.has(ref));
    let detoured = 0;
    const watch = setInterval(() => {
      detoured += detours().length;
    }, 20);
    try {
      await stacks[2]!.stopWatcher();
      // Several ownership ticks (TTL/10 = 300 ms) with the release notice sent: time to go wrong.
      await new Promise((r) => setTimeout(r, 2_000));
      expect(counts(survivors).join()).toBe("4,4");
      const back = await stacks[2]!.startWatcher("w2", { restartGraceMs: 1_000 });
      const again = [...survivors, back];
      await waitUntil(
        async () => counts(again).join() === "4,4,4" && (await settled(stacks[0]!, again, users)),
        45_000,
        "4/4/4 with w2 back",
      );
      expect(new Set(back.supervisor.owned())).toEqual(own);
    } finally {
      clearInterval(watch);
    }
    expect(detoured).toBe(0);

    // Stopped again and not restarted: once its 1 s grace is over the others take its mailboxes.
    await stacks[2]!.stopWatcher();
    await waitUntil(
      async () => counts(survivors).join() === "6,6" && (await settled(stacks[0]!, survivors, users)),
      45_000,
      "6/6 after the grace",
    );
  });

  it("respects WATCHER_CAPACITY: a full replica leaves the rest to the others", async () => {
    const { stacks, users, replica } = await installation();
    replica();
    const ws = [await stacks[0]!.startWatcher("w0", { capacity: 2 }), await stacks[1]!.startWatcher("w1")];
    await waitUntil(
      async () => counts(ws).join() === "2,10" && (await settled(stacks[0]!, ws, users)),
      45_000,
      "2/10",
    );
    expect(ws[0]!.supervisor.owned()).toHaveLength(2);
  });
});

/**
 * The memory baseline: bare imapflow clients, one IDLE connection per mailbox, nothing else. Forked
 * by bench/memory.ts, which reads this process's RSS before and after.
 *   parent → { type: "hold", mailboxes }   child → { type: "holding" } once all are in IDLE
 *   parent → { type: "stop" }              child exits
 */
import { ImapFlow } from "imapflow";

export interface HeldMailbox {
  host: string;
  port: number;
  user: string;
  pass: string;
}
export type HolderCommand = { type: "hold"; mailboxes: HeldMailbox[] } | { type: "stop" };
export type HolderReport = { type: "booted" } | { type: "holding" } | { type: "failed"; error: string };

const clients: ImapFlow[] = [];
const send = (r: HolderReport) => process.send?.(r);

async function hold(mailboxes: HeldMailbox[]): Promise<void> {
  let next = 0;
  // 50 logins at a time: the watcher's reconcile connects its mailboxes with similar parallelism.
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < mailboxes.length) {
        const m = mailboxes[next++]!;
        const client = new ImapFlow({
          host: m.host,
          port: m.port,
          secure: false,
          doSTARTTLS: false,
          auth: { user: m.user, pass: m.pass },
          logger: false,
          disableAutoIdle: true,
        });
        client.on("error", () => {});
        await client.connect();
        await client.mailboxOpen("INBOX", { readOnly: true });
        void client.idle();
        clients.push(client);
      }
    }),
  );
}

process.on("message", (cmd: HolderCommand) => {
  if (cmd.type === "hold") {
    hold(cmd.mailboxes).then(
      () => send({ type: "holding" }),
      (err: unknown) => send({ type: "failed", error: String(err) }),
    );
  } else {
    for (const c of clients) c.close();
    process.exit(0);
  }
});
send({ type: "booted" });

/**
 * The baseline as its own process (forked by the throughput scenario), so it pays the same process
 * boundary as mailhook's services and its CPU can be measured alone. Talks over the IPC channel:
 *   parent → { type: "start", mailboxes, options }   child → { type: "watching" }
 *   parent → { type: "stop" }                        child → { type: "stopped", posted }, exits
 */
import { type NaiveMailbox, type NaiveOptions, NaiveTrigger } from "./pipeline.js";

export type NaiveCommand =
  | { type: "start"; mailboxes: NaiveMailbox[]; options: NaiveOptions }
  | { type: "stop" };
export type NaiveReport =
  | { type: "booted" }
  | { type: "watching" }
  | { type: "stopped"; posted: number }
  | { type: "failed"; error: string };

const send = (r: NaiveReport) => process.send?.(r);
let trigger: NaiveTrigger | null = null;

process.on("message", (cmd: NaiveCommand) => {
  if (cmd.type === "start") {
    trigger = new NaiveTrigger(cmd.options);
    trigger.start(cmd.mailboxes).then(
      () => send({ type: "watching" }),
      (err: unknown) => send({ type: "failed", error: String(err) }),
    );
  } else if (cmd.type === "stop") {
    const t = trigger;
    void (t ? t.stop() : Promise.resolve()).then(() => {
      // Exit explicitly: keep-alive sockets of fetch() would hold the process open.
      process.send?.({ type: "stopped", posted: t?.posted ?? 0 } satisfies NaiveReport, () =>
        process.exit(0),
      );
    });
  }
});
send({ type: "booted" });

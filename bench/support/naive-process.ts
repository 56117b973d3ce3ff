import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import type { NaiveMailbox, NaiveOptions } from "../naive/pipeline.js";
import type { NaiveCommand, NaiveReport } from "../naive/trigger.js";
import { cpuMs, ROOT, rssKb } from "./services.js";

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

export interface NaiveProcess {
  pid: number;
  /** Connects and starts working; resolves once every mailbox is selected. */
  start(mailboxes: NaiveMailbox[], options: NaiveOptions): Promise<void>;
  /** Resolves with the number of webhooks it POSTed. */
  stop(): Promise<number>;
  cpuMs(): number;
  rssKb(): number;
}

/** Forks the baseline trigger (bench/naive/trigger.ts) and waits until it has booted. */
export async function forkNaive(opts: { cpuProfDir?: string } = {}): Promise<NaiveProcess> {
  const prof = opts.cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", opts.cpuProfDir] : [];
  const child: ChildProcess = fork(join(ROOT, "bench", "naive", "trigger.ts"), [], {
    cwd: ROOT,
    execArgv: [...prof, "--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  live.add(child);
  child.once("exit", () => live.delete(child));
  const next = (type: NaiveReport["type"], timeoutMs: number) =>
    new Promise<NaiveReport>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`baseline: no "${type}" within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onMessage = (r: NaiveReport) => {
        if (r.type !== type && r.type !== "failed") return;
        clearTimeout(timer);
        child.off("message", onMessage);
        if (r.type === "failed") reject(new Error(`baseline failed: ${r.error}`));
        else resolve(r);
      };
      child.on("message", onMessage);
    });
  const send = (cmd: NaiveCommand) => child.send(cmd);
  await next("booted", 30_000);
  const pid = child.pid!;
  return {
    pid,
    async start(mailboxes, options) {
      const watching = next("watching", 60_000);
      send({ type: "start", mailboxes, options });
      await watching;
    },
    async stop() {
      const stopped = next("stopped", 30_000);
      const exited = new Promise((r) => child.once("exit", r));
      send({ type: "stop" });
      const r = await stopped;
      await exited;
      return r.type === "stopped" ? r.posted : 0;
    },
    cpuMs: () => cpuMs(pid),
    rssKb: () => rssKb(pid),
  };
}

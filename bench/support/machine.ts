import { execFileSync } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  dovecot: string;
  redis: string;
  commit: string;
  /** 1-minute load average when the scenario started: a busy machine explains a slow run. */
  loadAtStart: number;
  at: string;
}

/**
 * `BENCH_MAIL_FORMAT=mdbox` stores the bench's mail as mdbox instead of maildir. With maildir,
 * live runs are bimodal (Dovecot's CPU per message 0.7 or ~3 ms, cause in its maildir handling);
 * with mdbox 0.36-0.38 ms in every run (docs/benchmarks.md, "The live variant is bimodal").
 */
export function benchMailFormat(): "maildir" | "mdbox" {
  const v = process.env.BENCH_MAIL_FORMAT ?? "maildir";
  if (v !== "maildir" && v !== "mdbox")
    throw new Error(`BENCH_MAIL_FORMAT must be maildir or mdbox, not "${v}"`);
  return v;
}

const quiet = (cmd: string, args: string[]): string => {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
};

/** What the numbers were measured on, written into every result file. */
export function describeMachine(): Machine {
  const redis = quiet("redis-server", ["--version"]).match(/v=(\S+)/)?.[1] ?? "unknown";
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    // Mail storage, when not the default maildir.
    dovecot: `${quiet("dovecot", ["--version"])}${benchMailFormat() === "mdbox" ? ", mdbox" : ""}`,
    redis,
    // Benchmarks run the working tree: say when it differs from the commit in code that runs.
    commit: `${quiet("git", ["rev-parse", "--short", "HEAD"])}${quiet("git", ["status", "--porcelain", "--", "packages", "services"]) ? "-dirty" : ""}`,
    loadAtStart: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    at: new Date().toISOString(),
  };
}

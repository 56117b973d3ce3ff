import type { ProfileSummary } from "./profile.js";
import type { Syscalls } from "./services.js";
import type { Spread } from "./stats.js";

/** What bench/throughput.ts records (bench/results/throughput.json), read by check and summary. */
export interface ContenderRun {
  seconds: number;
  messagesPerSecond: number;
  /**
   * Deliveries received in total once the run settled (every matching rule posts; the archive rule
   * once per message), and requests that repeated one: the same for every run of a variant, and 0.
   */
  webhooks: number;
  repeatedWebhooks?: number;
  /** CPU time of the contender's processes during the run (watcher + worker, or the baseline). */
  cpuMs: number;
  /**
   * Average number of busy cores on the whole machine during the run (Redis, Dovecot, the bench's
   * receiver and anything else running): near the core count means the machine, not mailhook's
   * design, set the pace.
   */
  machineBusyCores: number;
  /**
   * CPU per message (ms) of everything involved, so the budget can be read: the contender's own
   * processes, Redis, Dovecot (master, login and imap processes) and the bench process itself
   * (receiver, and in the live variant the APPENDs).
   */
  cpuPerMessageMs: { contender: number; redis: number; dovecot: number; bench: number };
  /** Redis commands per message during the run, by command (mailhook only; the baseline uses none). */
  redisCommandsPerMessage?: { total: number; top: Record<string, number> };
  /**
   * Read- and write-type system calls per message of mailhook's processes (all threads; socket
   * reads and writes, thread wake-ups): counted, so round-trip levers show despite CPU noise.
   */
  syscallsPerMessage?: Syscalls;
  /** Live variant: when the last APPEND completed (s after the first began). */
  appendSeconds?: number;
}

export interface VariantResult {
  messages: number;
  mailboxes: number;
  runs: { mailhook: ContenderRun; baseline: ContenderRun; ratio: number; cpuRatio?: number }[];
  mailhookPerSecond: Spread;
  baselinePerSecond: Spread;
  ratio: Spread;
  /**
   * The baseline's total CPU per message (all process groups) over mailhook's: how many times
   * cheaper mailhook does the same work. Unlike messages/s it hardly moves with the machine's load.
   */
  cpuRatio?: Spread;
}

export interface ThroughputResult {
  variants: Record<string, VariantResult>;
  /** Time from spawning the two service processes until both logged "started" (not in the runs). */
  bootMs: Spread;
  target: { perSecond: number; ratio: number; met: Record<string, boolean> };
  profile?: { mailhook: Record<string, ProfileSummary[]>; baseline: ProfileSummary[] };
}

import { Writable } from "node:stream";
import { createLogger } from "@mailhook/log";
import { ImapFlow } from "imapflow";
import { describe, expect, it } from "vitest";
import { adaptLogger } from "./client.js";

// imapflow serialises a command or a response for its log only when its logger wrapper's
// isLevelEnabled says the level is on; these ask imapflow's own wrapper (no connection is made).
function levels(level: "info" | "debug"): Record<string, boolean> {
  const client = new ImapFlow({
    host: "127.0.0.1",
    port: 1,
    auth: { user: "u", pass: "p" },
    logger: adaptLogger(
      createLogger({ name: "test", level, destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
    ),
  });
  const out: Record<string, boolean> = {};
  for (const l of ["trace", "debug", "info", "warn", "error"] as const) {
    const enabled = client.log.isLevelEnabled;
    if (!enabled) throw new Error("imapflow's logger wrapper has no isLevelEnabled");
    out[l] = enabled(l);
  }
  return out;
}

describe("the imapflow log adapter", () => {
  it("never asks imapflow to serialise commands and responses for debug or trace", () => {
    expect(levels("debug")).toMatchObject({ trace: false, debug: false });
    expect(levels("info")).toMatchObject({ trace: false, debug: false });
  });

  it("lets imapflow's info, warn and error entries through only when mailhook logs at debug", () => {
    expect(levels("debug")).toMatchObject({ info: true, warn: true, error: true });
    expect(levels("info")).toMatchObject({ info: false, warn: false, error: false });
  });
});

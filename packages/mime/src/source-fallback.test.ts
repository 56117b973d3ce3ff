import { DEFAULT_FETCH_LIMITS, NO_NEEDS } from "@mailhook/model";
import type { MessageStructureObject } from "imapflow";
import { describe, expect, it } from "vitest";
import { chunkSections, MAX_SECTIONS_PER_COMMAND } from "./fetch-messages.js";
import { planFetch } from "./fetch-planner.js";
import { commandFailed, serverErrorText } from "./imap-error.js";
import { fallbackReason, SOURCE_FALLBACK_SECTIONS, sourceCap } from "./source-fallback.js";

const leaf = (part: string, size = 10): MessageStructureObject => ({
  part,
  type: "application/octet-stream",
  encoding: "base64",
  size,
  disposition: "attachment",
});
const mixed = (children: MessageStructureObject[]): MessageStructureObject => ({
  type: "multipart/mixed",
  parameters: { boundary: "b" },
  childNodes: children,
});
const content = { ...NO_NEEDS, text: true, attachments: "content" as const };

describe("chunkSections", () => {
  it("bounds sections and characters per command, keeping every section once and in order", () => {
    const sections = Array.from({ length: 5_000 }, (_, i) => ({ key: `${i + 1}`, maxLength: 1_000_000 }));
    const chunks = chunkSections(sections);
    expect(chunks.flat()).toEqual(sections);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(MAX_SECTIONS_PER_COMMAND);
      expect(c.map((s) => `BODY.PEEK[${s.key}]<0.${s.maxLength}> `).join("").length).toBeLessThanOrEqual(
        2_000,
      );
    }
    const long = Array.from({ length: 10 }, (_, i) => ({ key: `${"1.".repeat(200)}${i}` }));
    expect(chunkSections(long).every((c) => c.length >= 1)).toBe(true);
    expect(chunkSections(long).length).toBeGreaterThan(1);
  });
});

describe("fallbackReason", () => {
  it("uses the structure when it is there and small enough", () => {
    const s = mixed([{ part: "1", type: "text/plain", size: 5 }, leaf("2")]);
    expect(fallbackReason(s, planFetch(s, content, DEFAULT_FETCH_LIMITS))).toBeNull();
  });
  it("falls back without a BODYSTRUCTURE, for a multipart the server could not split, and past the section limit", () => {
    expect(fallbackReason(undefined, planFetch(undefined, content, DEFAULT_FETCH_LIMITS))).toMatch(
      /no BODYSTRUCTURE/,
    );
    const unsplit = mixed([{ part: "1", type: "text/plain", size: 0 }]);
    expect(fallbackReason(unsplit, planFetch(unsplit, content, DEFAULT_FETCH_LIMITS))).toMatch(/no parts/);
    const many = mixed([
      { part: "1", type: "text/plain", size: 5 },
      ...Array.from({ length: SOURCE_FALLBACK_SECTIONS + 1 }, (_, i) => leaf(`${i + 2}`)),
    ]);
    expect(fallbackReason(many, planFetch(many, content, DEFAULT_FETCH_LIMITS))).toMatch(/body sections/);
    // Metadata only: the same message needs one section, so no fallback.
    const meta = { ...content, attachments: "metadata" as const };
    expect(fallbackReason(many, planFetch(many, meta, DEFAULT_FETCH_LIMITS))).toBeNull();
  });
  it("caps the source by the limits, not by the message", () => {
    expect(sourceCap(content, DEFAULT_FETCH_LIMITS)).toBeGreaterThan(DEFAULT_FETCH_LIMITS.attachmentBytes);
    expect(sourceCap({ ...content, attachments: "metadata" }, DEFAULT_FETCH_LIMITS)).toBeLessThan(
      DEFAULT_FETCH_LIMITS.attachmentBytes,
    );
  });
});

describe("server error text", () => {
  it("keeps the server's answer that imapflow hides behind 'Command failed'", () => {
    const err = Object.assign(new Error("Command failed"), {
      responseStatus: "BAD",
      serverResponseCode: "TOOBIG",
      responseText: "Command line too large",
    });
    expect(serverErrorText(err)).toBe("BAD [TOOBIG] Command line too large");
    const wrapped = commandFailed("UID FETCH 4 (5000 sections)", err);
    expect(wrapped.retryable).toBe(false);
    expect(wrapped.message).toBe("UID FETCH 4 (5000 sections) failed: BAD [TOOBIG] Command line too large");
    expect(commandFailed("x", new Error("Socket timeout")).retryable).toBe(true);
    expect(serverErrorText(new Error("x".repeat(2_000))).length).toBe(500);
  });
});

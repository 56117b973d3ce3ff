/**
 * The production build as the services run it (global-setup builds it): each bundle is pure ASCII
 * (one non-ASCII byte makes V8 hold the whole source two bytes wide: scripts/build.mjs, asciiOnly)
 * and a fresh Node takes its V8 code cache, and so does a rule pool thread for thread.cjs.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { runInThisContext } from "node:vm";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { asciiOnly, SERVICES } from "../scripts/build.mjs";

const run = promisify(execFile);
const DIST = (name: string) => join(import.meta.dirname, "..", "services", name, "dist");

describe("production build", () => {
  it("asciiOnly escapes every non-ASCII character without changing what a literal means", () => {
    const source = `/* RFC 4291 §2.7 – x */ ["é", \`ü\${1}\`, /^ß+$/u.test("ßß"), /^ß$/.test("ß"), "😀"]`;
    const escaped = asciiOnly(source);
    expect([...escaped].every((c) => c.charCodeAt(0) < 0x80)).toBe(true);
    expect(escaped).toContain("\\u00a7");
    expect(runInThisContext(escaped)).toEqual(runInThisContext(source));
    expect(runInThisContext(source)).toEqual(["é", "ü1", true, true, "😀"]);
  });

  it.each(SERVICES)("the %s bundle is ASCII and Node takes its code cache", async (name) => {
    const bundle = readFileSync(join(DIST(name), "service.cjs"));
    expect(bundle.findIndex((byte) => byte > 0x7f)).toBe(-1);
    // mailparser's streaming parser is initialised on first use only, never at the bundle's top level.
    const text = bundle.toString("latin1");
    expect(text).not.toContain("mailparser/dist/esm/index.js");
    expect(text).not.toMatch(/^init_(simple|mail)_parser\(\);/m);
    const { stdout } = await run(process.execPath, [join(DIST(name), "main.js"), "--check-code-cache"]);
    expect(stdout.trim()).toBe("accepted");
    // The rule pool's thread bundle, in a real worker thread as the pool starts it.
    const worker = new Worker(pathToFileURL(join(DIST(name), "thread-boot.mjs")), {
      workerData: {
        progress: new SharedArrayBuffer(4),
        startedAt: new SharedArrayBuffer(8),
        entry: pathToFileURL(join(DIST(name), "thread.cjs")).href,
        tsx: false,
        codeCache: "check",
      },
    });
    const verdict = await new Promise<unknown>((resolve, reject) => {
      worker.on("message", (m: { codeCache?: string }) => m.codeCache && resolve(m.codeCache));
      worker.on("error", reject);
    }).finally(() => worker.terminate());
    expect(verdict).toBe("accepted");
  });
});

/**
 * The production build as the services run it (global-setup builds it): each bundle is pure ASCII
 * (one non-ASCII byte makes V8 hold the whole source two bytes wide: scripts/build.mjs, asciiOnly)
 * and a fresh Node takes its V8 code cache, and so does a rule pool thread for thread.cjs.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { runInThisContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { asciiOnly, bootWithoutEnv, SERVICES, threadCodeCache } from "../scripts/build.mjs";

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
    // mailparser's streaming parser is initialised on first use only: the module that initialises
    // it (whatever esbuild names it) is reached from import() expressions only, the full parser only
    // from it.
    const text = bundle.toString("latin1");
    expect(text).not.toContain("mailparser/dist/esm/index.js");
    const initOf = (file: string) =>
      new RegExp(`var (init_\\w+) = __esm\\(\\{\\n\\s*"[^"]*/mailparser/dist/esm/${file}"`).exec(text)?.[1];
    const simple = initOf("simple-parser.js");
    const parser = initOf("mail-parser.js");
    // The watcher never parses a whole message: neither module is in its bundle.
    if (name === "watcher") expect([simple, parser]).toEqual([undefined, undefined]);
    else {
      const callsOf = (init: string) =>
        text
          .split(`${init}()`)
          .slice(0, -1)
          .map((b) => b.slice(-40));
      const simpleCalls = callsOf(simple!);
      expect(simpleCalls.length).toBeGreaterThan(0);
      for (const before of simpleCalls) expect(before).toMatch(/Promise\.resolve\(\)\.then\(\(\) => \($/);
      for (const before of callsOf(parser!)) expect(before).toMatch(/simple-parser\.js"\(\) \{\n\s*$/);
    }
    const { stdout } = await run(process.execPath, [join(DIST(name), "main.js"), "--check-code-cache"]);
    expect(stdout.trim()).toBe("accepted");
    // The rule pool's thread bundle, in a real worker thread as the pool starts it.
    expect(await threadCodeCache(DIST(name), "check")).toBe("accepted");
  });

  it.each(SERVICES)("the %s bundle does the same with its code cache as without", async (name) => {
    // Caches V8 took have made the env parse and the rule thread throw SyntaxErrors (docs/deploy.md).
    const [cached, plain] = await Promise.all([
      bootWithoutEnv(name, []),
      bootWithoutEnv(name, ["--enable-source-maps"]),
    ]);
    expect(cached).toContain("MAILHOOK_ENCRYPTION_KEYS");
    expect(cached).toBe(plain);
    // The rule thread: scripts/lib/thread-probe.json evaluated and explained, with and without.
    const [withCache, without] = await Promise.all([
      threadCodeCache(DIST(name), "check", true),
      threadCodeCache(DIST(name), "ignore", true),
    ]);
    const [verdict, ...replies] = withCache.split("\n");
    expect(verdict).toBe("accepted");
    expect(replies).toHaveLength(2);
    expect(replies.join("\n")).toContain('"ok":true');
    expect(replies).toEqual(without.split("\n").slice(1));
  });
});

// Types of scripts/build.mjs for the TypeScript that imports it (test and bench harnesses).
export declare const SERVICES: readonly ["api", "watcher", "worker"];
/** The file `node` runs for a service: services/<name>/dist/main.js. */
export declare function serviceEntry(name: string): string;
/** The CLI's bundle (packages/cli/dist/mailhook.mjs), run by the `mailhook` bin. */
export declare const cliEntry: string;
/** True when a service or the CLI has no bundle, or a source changed since it was built. */
export declare function isStale(): boolean;
/** Bundles every service and the CLI (esbuild). */
export declare function build(): Promise<void>;
/** Builds when needed; true when it did. */
export declare function ensureBuilt(): Promise<boolean>;
/** The text with every non-ASCII character as a \u escape (what the build does to each bundle). */
export declare function asciiOnly(text: string): string;
/** Writes or checks the rule pool thread's code cache in a dist/ directory; V8's verdict ("accepted", …). */
export declare function threadCodeCache(
  outdir: string,
  mode: "write" | "write-early" | "check" | "ignore",
  probe?: boolean,
): Promise<string>;
/** What a service logs when started with no environment ("exit <code>: <the fatal line's err>"). */
export declare function bootWithoutEnv(name: string, nodeArgs: string[]): Promise<string>;

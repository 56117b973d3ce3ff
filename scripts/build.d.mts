// Types of scripts/build.mjs for the TypeScript that imports it (test and bench harnesses).
export declare const SERVICES: readonly ["api", "watcher", "worker"];
/** The file `node` runs for a service: services/<name>/dist/main.js. */
export declare function serviceEntry(name: string): string;
/** True when some service has no bundle, or a source changed since it was built. */
export declare function isStale(): boolean;
/** Bundles every service (esbuild). */
export declare function build(): Promise<void>;
/** Builds when needed; true when it did. */
export declare function ensureBuilt(): Promise<boolean>;

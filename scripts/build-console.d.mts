// Types of scripts/build-console.mjs for the TypeScript that imports it (test harness).
export declare const CONSOLE_DIST: string;
export declare function isConsoleStale(): boolean;
export declare function buildConsole(): Promise<void>;
export declare function ensureConsoleBuilt(): Promise<boolean>;

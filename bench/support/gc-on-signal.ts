/**
 * Preloaded into measured processes (`--expose-gc --import`): SIGUSR2 runs a full GC, so an RSS
 * reading is not just whatever garbage the last allocation burst left. Bench-only; the services'
 * code is unchanged.
 */
const collect = (globalThis as { gc?: () => void }).gc;
process.on("SIGUSR2", () => {
  collect?.();
  collect?.();
});

export {};

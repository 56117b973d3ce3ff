// Plain JavaScript on purpose: the thread must load before any TypeScript loader is registered.
// Under tsx (development, tests) the loader is registered here, in the thread. From a build, the
// entry is the CommonJS bundle thread.cjs, loaded with the V8 code cache beside it (dist/cjs-cache.mjs):
// a thread took ~170 ms to be ready without it (docs/deploy.md, "Code cache").
import { fileURLToPath } from "node:url";
import { parentPort, workerData } from "node:worker_threads";

if (workerData.tsx) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(workerData.entry);
} else if (workerData.entry.endsWith(".cjs")) {
  const { loadCommonJs } = await import(new URL("./cjs-cache.mjs", import.meta.url).href);
  const loaded = loadCommonJs(fileURLToPath(workerData.entry), {
    useCache: workerData.codeCache !== "ignore",
    early: workerData.codeCache === "write-early",
  });
  // The build writes and checks the cache in a real thread (the bundle's top level needs workerData).
  if (workerData.codeCache === "write" || workerData.codeCache === "write-early") loaded.writeCache();
  if (workerData.codeCache) parentPort.postMessage({ codeCache: loaded.cache });
} else {
  await import(workerData.entry);
}

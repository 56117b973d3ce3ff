// Plain JavaScript on purpose: the thread must load before any TypeScript loader is registered.
// Under tsx (development, tests, the container) the loader is registered here, in the thread.
import { workerData } from "node:worker_threads";

if (workerData.tsx) {
  const { register } = await import("tsx/esm/api");
  register();
}
await import(workerData.entry);

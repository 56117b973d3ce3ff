import { run } from "./run.js";

// `tsx src/main.ts` (development). Production loads dist/service.cjs through dist/main.js and calls run().
await run();

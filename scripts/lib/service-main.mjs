// dist/main.js of every service (scripts/build.mjs copies this file there): what
// `node services/<name>/dist/main.js` runs. It loads the service's CommonJS bundle, service.cjs,
// with the V8 code cache the build wrote beside it (service.cjs.v8; ./cjs-cache.mjs).
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { loadCommonJs } from "./cjs-cache.mjs";

const file = fileURLToPath(new URL("service.cjs", import.meta.url));

// With --enable-source-maps (stack traces in TypeScript lines) Node's own loader, which applies the
// source map, loads the bundle; code loaded through vm.Script gets no source map from Node 20.
if (process.sourceMapsEnabled && !process.argv[2]) {
  await createRequire(file)(file).run();
} else {
  const loaded = loadCommonJs(file, { early: process.argv[2] === "--write-code-cache-early" });
  if (process.argv[2] === "--check-code-cache") {
    // For the build and the tests: did V8 take the cache?
    process.stdout.write(`${loaded.cache}\n`);
    process.exit(0);
  }
  if (process.argv[2] === "--write-code-cache" || process.argv[2] === "--write-code-cache-early") {
    // The build: the bundle's modules have run their top level (nothing is started before run()).
    loaded.writeCache();
    process.exit(0);
  }
  await loaded.exports.run();
}

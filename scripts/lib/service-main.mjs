// dist/main.js of every service (scripts/build.mjs copies this file there): what
// `node services/<name>/dist/main.js` runs. It loads the service's CommonJS bundle, service.cjs,
// through vm.Script with the V8 code cache the build wrote beside it (service.cjs.v8), so Node 20
// neither parses nor compiles what the cache holds: the role of module.enableCompileCache, which
// only Node 22 has. A cache V8 rejects (another Node version, other V8 flags) or a missing one
// costs nothing but the speed: the bundle compiles as usual. docs/deploy.md, "Code cache".
import { isAscii } from "node:buffer";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { constants, Script } from "node:vm";

const file = fileURLToPath(new URL("service.cjs", import.meta.url));
const cacheFile = `${file}.v8`;
const require = createRequire(file);

// With --enable-source-maps (stack traces in TypeScript lines) Node's own loader, which applies the
// source map, loads the bundle; code loaded through vm.Script gets no source map from Node 20.
if (process.sourceMapsEnabled && !process.argv[2]) {
  await require(file).run();
} else {
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {}
  // The build makes the bundle pure ASCII (scripts/build.mjs, asciiOnly): read as Latin-1, its bytes
  // become V8's one-byte string as they are, without a UTF-8 decode (docs/deploy.md, "Code cache").
  const bytes = readFileSync(file);
  const source = bytes.toString(isAscii(bytes) ? "latin1" : "utf8");
  // The CommonJS wrapper goes on the bundle's first line, so its line numbers stay the source map's.
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new Script(wrapped, {
    filename: pathToFileURL(file).href,
    ...(cachedData ? { cachedData } : {}),
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, require, module, file, dirname(file));
  if (process.argv[2] === "--check-code-cache") {
    // For the build and the tests: did V8 take the cache?
    process.stdout.write(
      `${!cachedData ? "missing" : script.cachedDataRejected ? "rejected" : "accepted"}\n`,
    );
    process.exit(0);
  }
  if (process.argv[2] === "--write-code-cache") {
    // The build: the bundle's modules have run their top level (nothing is started before run()),
    // so the cache holds every function that compiled for that, not only the eagerly parsed ones.
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, cacheFile);
    process.exit(0);
  }
  await module.exports.run();
}

// dist/cjs-cache.mjs of every service (scripts/build.mjs copies this file there): loads a CommonJS
// bundle through vm.Script with the V8 code cache the build wrote beside it (<file>.v8), so Node 20
// neither parses nor compiles what the cache holds: the role of module.enableCompileCache, which
// only Node 22 has. Used by dist/main.js for service.cjs and by the rule pool's thread boot for
// thread.cjs. A cache V8 rejects (another Node version, other V8 flags) or a missing one costs
// nothing but the speed: the bundle compiles as usual. docs/deploy.md, "Code cache".
import { isAscii } from "node:buffer";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { constants, Script } from "node:vm";

/**
 * Runs the bundle's top level and returns its exports, whether V8 took the cache ("accepted",
 * "rejected", "missing"), and writeCache(), which saves what V8 compiled so far (for the build:
 * call it after the top level ran, so the cache holds every function that compiled for it).
 */
export function loadCommonJs(file, { useCache = true, early = false } = {}) {
  const cacheFile = `${file}.v8`;
  let cachedData;
  try {
    // useCache false: for the build's check that the bundle behaves the same without its cache.
    if (useCache) cachedData = readFileSync(cacheFile);
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
  // early: the cache of what V8 compiled before the top level ran (fewer functions, and the fallback
  // when a cache written after it misbehaves; scripts/build.mjs).
  const before = early ? script.createCachedData() : null;
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  return {
    exports: module.exports,
    cache: !cachedData ? "missing" : script.cachedDataRejected ? "rejected" : "accepted",
    writeCache() {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, before ?? script.createCachedData());
      renameSync(tmp, cacheFile);
    },
  };
}

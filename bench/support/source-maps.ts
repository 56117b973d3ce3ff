import { existsSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** A profile frame's location: 0-based line and column, as V8 writes them. */
export interface FrameLocation {
  url: string;
  lineNumber: number;
  columnNumber?: number;
}

/**
 * Maps profile frames of a bundle (services/<name>/dist/main.js, built with a linked source map)
 * back to the source file and line they came from, so a profile of the production bundle is
 * attributed to packages again instead of to one big file. Frames without a map (Node internals,
 * tsx-loaded sources) or outside any mapping (the bundle's banner) are returned unchanged.
 */
export class FrameMapper {
  readonly #maps = new Map<string, { map: SourceMap; dir: string } | null>();
  readonly #cache = new Map<string, FrameLocation>();

  map(frame: FrameLocation): FrameLocation {
    if (!frame.url.startsWith("file://") || !/\.c?js$/.test(frame.url)) return frame;
    const key = `${frame.url}:${frame.lineNumber}:${frame.columnNumber ?? 0}`;
    const hit = this.#cache.get(key);
    if (hit) return hit;
    const loaded = this.#load(frame.url);
    let out = frame;
    if (loaded) {
      const entry = loaded.map.findEntry(frame.lineNumber, frame.columnNumber ?? 0);
      if ("originalSource" in entry && entry.originalSource) {
        const source = entry.originalSource.startsWith("file://")
          ? entry.originalSource
          : pathToFileURL(resolve(loaded.dir, entry.originalSource)).href;
        out = { url: source, lineNumber: entry.originalLine, columnNumber: entry.originalColumn };
      }
    }
    this.#cache.set(key, out);
    return out;
  }

  #load(url: string): { map: SourceMap; dir: string } | null {
    const known = this.#maps.get(url);
    if (known !== undefined) return known;
    const path = `${fileURLToPath(url)}.map`;
    let loaded: { map: SourceMap; dir: string } | null = null;
    if (existsSync(path)) {
      loaded = { map: new SourceMap(JSON.parse(readFileSync(path, "utf8"))), dir: dirname(path) };
    }
    this.#maps.set(url, loaded);
    return loaded;
  }
}

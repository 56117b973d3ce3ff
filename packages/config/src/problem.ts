/** A path into the parsed YAML: keys and array indexes, as zod and the yaml library use them. */
export type PathSegment = string | number;

/** One thing wrong with a config file, phrased for the person editing it. Never contains secret values. */
export interface ConfigProblem {
  file: string;
  /** Dotted path with [index]: `mailboxes[0].port`, `endpoints[1].headers["X-Token"]`; `(root)` for the file. */
  path: string;
  reason: string;
  /** 1-based position in the file when known. */
  line?: number;
  column?: number;
}

/** What a check reports before the file name and line are known. */
export interface Issue {
  path: PathSegment[];
  reason: string;
  /** Set when the position is known directly (YAML syntax errors). */
  line?: number;
  column?: number;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `["mailboxes", 0, "port"]` → `mailboxes[0].port`; keys that are not identifiers are bracket-quoted. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (IDENT.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === "" ? "(root)" : out;
}

export function formatProblem(p: ConfigProblem): string {
  const where =
    p.line === undefined ? "" : ` (line ${p.line}${p.column === undefined ? "" : `, column ${p.column}`})`;
  return `${p.file}: ${p.path}: ${p.reason}${where}`;
}

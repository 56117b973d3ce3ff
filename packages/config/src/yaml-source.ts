import { type Document, isMap, isNode, isScalar, LineCounter, parseDocument, type YAMLError } from "yaml";
import type { Issue, PathSegment } from "./problem.js";

/** A parsed YAML file that can still answer "which line is this path on?" for error messages. */
export interface YamlSource {
  value: unknown;
  issues: Issue[];
  position(path: readonly PathSegment[]): { line: number; column: number } | undefined;
}

// Aliases can expand exponentially ("billion laughs"); a real config never needs more than a few.
const MAX_ALIAS_COUNT = 100;

export function readYaml(text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (path: readonly PathSegment[]) => locate(doc, lineCounter, path);
  const issues = doc.errors.map((e) => syntaxIssue(e, lineCounter));
  if (issues.length > 0) return { value: undefined, issues, position };
  if (doc.contents === null) {
    return {
      value: undefined,
      issues: [{ path: [], reason: "file is empty (expected at least `version: 1`)" }],
      position,
    };
  }
  try {
    return { value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), issues: [], position };
  } catch (err) {
    const reason = err instanceof Error ? err.message : "cannot be read as YAML";
    return { value: undefined, issues: [{ path: [], reason: `YAML: ${reason}` }], position };
  }
}

function syntaxIssue(e: YAMLError, lc: LineCounter): Issue {
  const { line, col } = lc.linePos(e.pos[0]);
  return { path: [], reason: `YAML syntax error: ${syntaxReason(e)}`, line, column: col };
}

/** yaml's messages sometimes quote a fragment of the source, which could be part of a password. */
function syntaxReason(e: YAMLError): string {
  switch (e.code) {
    case "MULTIPLE_DOCS":
      return "expected one YAML document, found several (remove the extra `---`)";
    case "BAD_DQ_ESCAPE":
      return "invalid escape sequence in a double-quoted string (single-quote values that contain backslashes)";
    case "DUPLICATE_KEY":
      return "the same key appears twice in one mapping";
    default: {
      const colon = e.message.indexOf(": ");
      const msg = colon === -1 ? e.message : e.message.slice(0, colon);
      return msg.length > 120 ? `${msg.slice(0, 117)}...` : msg;
    }
  }
}

/**
 * Line and column for a path: the key when the path ends at a mapping key (so `folders:` is reported
 * on its own line even when the list starts below it), else the node, else the deepest existing parent.
 */
function locate(
  doc: Document,
  lc: LineCounter,
  path: readonly PathSegment[],
): { line: number; column: number } | undefined {
  for (let n = path.length; n >= 0; n--) {
    const parent = n === 0 ? undefined : n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true);
    const last = path[n - 1];
    if (typeof last === "string" && isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === last);
      const at = pair && isNode(pair.key) ? pair.key.range : undefined;
      if (at) return position(lc, at[0]);
    }
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return position(lc, node.range[0]);
  }
  return undefined;
}

function position(lc: LineCounter, offset: number): { line: number; column: number } {
  const { line, col } = lc.linePos(offset);
  return { line, column: col };
}

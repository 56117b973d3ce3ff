import { compile } from "html-to-text";

// The same converter and depth limit mailparser uses for `.text` of HTML-only mail, compiled
// once: agreeing with simpleParser is what the corpus comparison measures, and compiling per
// call costs more than converting a typical message.
const MAX_DEPTH = 1000;
const convert = compile({ limits: { maxDepth: MAX_DEPTH } });

// Elements that never open a nesting level: void elements, and those the parser closes
// implicitly when a sibling opens (an unclosed run of <td> or <p> does not nest).
const FLAT = new Set(
  "area base br col embed hr img input link meta param source track wbr p li dt dd option optgroup tr td th thead tbody tfoot rt rp".split(
    " ",
  ),
);

/**
 * Whether `html` nests elements deeper than `max`, in one linear pass. htmlparser2 is quadratic
 * in the nesting depth (hostile mail with 200k nested <b> takes seconds) and html-to-text
 * recurses per level, so such markup is not converted at all; mailparser refuses it the same way.
 */
export function nestsDeeperThan(html: string, max: number): boolean {
  const stack: string[] = [];
  const open = new Map<string, number>();
  const tag = /<!--[\s\S]*?(?:-->|$)|<(\/?)([A-Za-z][\w:-]*)[^>]*>/g;
  for (let m = tag.exec(html); m; m = tag.exec(html)) {
    const name = m[2]?.toLowerCase();
    if (!name || FLAT.has(name)) continue;
    if (m[1] !== "/") {
      stack.push(name);
      open.set(name, (open.get(name) ?? 0) + 1);
      if (stack.length > max) return true;
    } else if (open.get(name)) {
      // An end tag closes down to the nearest open element of that name.
      for (let popped = stack.pop(); popped !== undefined; popped = stack.pop()) {
        open.set(popped, (open.get(popped) ?? 1) - 1);
        if (popped === name) break;
      }
    }
  }
  return false;
}

/** Plain text of an HTML body, as mailparser's simpleParser would put it in `.text`. */
export function htmlToText(html: string): string {
  if (nestsDeeperThan(html, MAX_DEPTH)) return "";
  try {
    return convert(html);
  } catch {
    // Markup the converter chokes on is no reason to lose the message; rules see no text.
    return "";
  }
}

import { compile } from "html-to-text";

// The same converter and limit mailparser uses for `.text` of HTML-only mail, compiled once:
// agreeing with simpleParser is what the corpus comparison measures, and compiling per call
// costs more than converting a typical message.
const convert = compile({ limits: { maxDepth: 1000 } });

/** Plain text of an HTML body, as mailparser's simpleParser would put it in `.text`. */
export function htmlToText(html: string): string {
  try {
    return convert(html);
  } catch {
    // Markup the converter chokes on is no reason to lose the message; rules see no text.
    return "";
  }
}

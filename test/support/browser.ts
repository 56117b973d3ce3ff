import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";

/** Debian's chromium (scripts/setup.mjs installs it as root); never a downloaded browser. */
export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);

/** Screenshots of the console, kept as test artifacts (gitignored). */
export const SCREENSHOTS = join(process.cwd(), ".tmp", "console-screens");

export async function launchChromium(): Promise<Browser> {
  await mkdir(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

let axeSource: string | null = null;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * axe-core's WCAG checks on the page as it is (labels, names, contrast, landmarks). Injected
 * through the DevTools protocol, so the console's own CSP stays in force.
 */
export async function axe(page: Page): Promise<AxeViolation[]> {
  if (!axeSource) {
    const require = createRequire(import.meta.url);
    axeSource = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");
  }
  await page.evaluate(axeSource);
  const script = `axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.map((v) =>
    ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`;
  return (await page.evaluate(script)) as AxeViolation[];
}

const WAIT = { timeout: 20_000 };

/** Waits until the locator holds `text` (playwright's own expect is not used under vitest). */
export async function hasText(l: Locator, text: string | RegExp): Promise<void> {
  await l.filter({ hasText: text }).first().waitFor(WAIT);
}

export async function isDisabled(l: Locator): Promise<boolean> {
  await l.waitFor(WAIT);
  return l.isDisabled();
}

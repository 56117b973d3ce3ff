/**
 * The console's deliveries page with 100,000 delivery records: time from clicking Deliveries (on
 * a settled Endpoints page, so no other page's requests are in flight) until the first page of 50
 * rows is on screen, against the same page with 100 records in the same run (the baseline).
 * Server-side cursor pagination should make both the same order; the API's own time for that page
 * (`GET /v1/deliveries?limit=50`, from Node over HTTP) is measured beside it. Records are seeded
 * through the store's own `createDelivery`, 2,000 at a time on one connection (pipelined), not
 * through HTTP. Needs Debian's chromium.
 *
 * Run: npx tsx bench/console.ts [--records 100000] [--runs 5] [--json path]
 */
import { fileURLToPath } from "node:url";
import { startRedis } from "@mailhook/testing";
import { ensureConsoleBuilt } from "../scripts/build-console.mjs";
import { ApiHarness } from "../test/support/api.js";
import { hasChromium, launchChromium } from "../test/support/browser.js";
import { listenHttp } from "../test/support/http.js";
import { numberOption } from "./support/args.js";
import { describeMachine, resultOut, writeResult } from "./support/results.js";

const CONSOLE_DIR = fileURLToPath(new URL("../packages/console/dist/", import.meta.url));
const RECORDS = numberOption("records", 100_000);
const RUNS = numberOption("runs", 5);
const OUT = resultOut("console");
const BASELINE = 100;
const SEED_BATCH = 2_000;
const WAIT = { timeout: 60_000 };
type Browser = Awaited<ReturnType<typeof launchChromium>>;

export interface ConsoleSide {
  records: number;
  seedMs: number;
  /** Click → 50th row visible, per run. */
  openMs: number[];
  openMedian: number;
  /** The API's first page (limit 50), per request. */
  apiMs: number[];
  apiMedian: number;
}

export interface ConsoleResult {
  note: string;
  baseline: ConsoleSide;
  large: ConsoleSide;
  /** large.openMedian / baseline.openMedian. */
  openRatio: number;
  apiRatio: number;
  targetMs: number;
  targetMet: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? Number.NaN;

async function seed(api: ApiHarness, tenantId: string, records: number): Promise<number> {
  const t0 = performance.now();
  const base = Date.now() - records * 1000;
  for (let i = 0; i < records; i += SEED_BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(SEED_BATCH, records - i) }, (_, j) => {
        const n = i + j;
        const at = new Date(base + n * 1000).toISOString();
        return api.store.createDelivery({
          id: `msg_bench_${n}`,
          tenantId,
          endpointId: "ep_bench",
          ruleId: "rule_bench",
          mailboxId: "mbx_bench",
          folder: "INBOX",
          uidValidity: 1,
          uid: n + 1,
          messageKey: `mbx_bench~INBOX~1~${n + 1}`,
          status: n % 10 === 0 ? "dead" : "delivered",
          body: "{}",
          createdAt: at,
          updatedAt: at,
          seenAt: base + n * 1000,
          attempts: [],
          lastError: null,
        });
      }),
    );
  }
  return Math.round(performance.now() - t0);
}

async function measure(browser: Browser, redisUrl: string, records: number): Promise<ConsoleSide> {
  const api = new ApiHarness({
    redisUrl,
    deps: { consoleDir: CONSOLE_DIR, limits: { ratePerWindow: 100_000 } },
  });
  const { tenantId, token } = await api.tenant("bench");
  const seedMs = await seed(api, tenantId, records);
  const http = await listenHttp(api.app.fetch);
  const apiMs: number[] = [];
  for (let i = 0; i < RUNS * 2; i++) {
    const t = performance.now();
    const r = await fetch(`${http.url}/v1/deliveries?limit=50`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await r.json()) as { data: unknown[] };
    if (body.data.length !== 50) throw new Error(`API page held ${body.data.length} records, not 50`);
    apiMs.push(Math.round(performance.now() - t));
  }
  const page = await browser.newPage();
  await page.goto(`${http.url}/console`);
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Open the console" }).click();
  await page.getByRole("navigation", { name: "Pages" }).waitFor(WAIT);
  // Signing in lands on the Overview, whose last-hour query is much larger with 100,000 records:
  // reload onto Endpoints (the token stays in sessionStorage) so none of it runs during a measurement.
  await page.goto(`${http.url}/console#/endpoints`);
  await page.reload();
  await page.getByRole("navigation", { name: "Pages" }).waitFor(WAIT);
  const openMs: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    await page.getByRole("link", { name: "Endpoints", exact: true }).click();
    await page.getByText("No endpoints yet.").waitFor(WAIT);
    // Nothing in flight when the clock starts.
    await page.waitForLoadState("networkidle");
    const start = performance.now();
    await page.getByRole("link", { name: "Deliveries", exact: true }).click();
    await page.getByRole("table", { name: "Deliveries" }).locator("tbody tr").nth(49).waitFor(WAIT);
    openMs.push(Math.round(performance.now() - start));
  }
  await page.close();
  await http.close();
  await api.stop();
  return { records, seedMs, openMs, openMedian: median(openMs), apiMs, apiMedian: median(apiMs) };
}

if (!hasChromium) throw new Error("chromium is not installed (apt-get install chromium)");
await ensureConsoleBuilt();
const machine = describeMachine();
const redis = await startRedis();
const browser = await launchChromium();
try {
  const baseline = await measure(browser, redis.url, BASELINE);
  const large = await measure(browser, redis.url, RECORDS);
  const result: ConsoleResult = {
    note: "ms from clicking Deliveries (from a settled Endpoints page) to the 50th row on screen; API: GET /v1/deliveries?limit=50",
    baseline,
    large,
    openRatio: Math.round((large.openMedian / baseline.openMedian) * 100) / 100,
    apiRatio: Math.round((large.apiMedian / Math.max(1, baseline.apiMedian)) * 100) / 100,
    targetMs: 1000,
    targetMet: large.openMedian < 1000,
  };
  writeResult(OUT, "console", machine, result);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await browser.close();
  await redis.stop();
}

// The console's deliveries page with 100,000 delivery records: time from navigation to the first
// page of rows on screen, against the same page with 100 records (in-run baseline). Server-side
// cursor pagination should make both the same order. Needs Debian's chromium.
// Run: pnpm exec tsx bench/console.ts   (writes bench/results/console.json)
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { startRedis } from "@mailhook/testing";
import { ensureConsoleBuilt } from "../scripts/build-console.mjs";
import { ApiHarness } from "../test/support/api.js";
import { hasChromium, launchChromium } from "../test/support/browser.js";
import { listenHttp } from "../test/support/http.js";

const CONSOLE_DIR = fileURLToPath(new URL("../packages/console/dist/", import.meta.url));
if (!hasChromium) throw new Error("chromium is not installed (apt-get install chromium)");
await ensureConsoleBuilt();
const redis = await startRedis();
const browser = await launchChromium();

async function measure(records: number): Promise<{ records: number; seedMs: number; openMs: number[] }> {
  const api = new ApiHarness({ redisUrl: redis.url, deps: { consoleDir: CONSOLE_DIR } });
  const { tenantId, token } = await api.tenant("bench");
  const t0 = Date.now();
  const base = Date.now() - records * 1000;
  for (let i = 0; i < records; i += 1000) {
    await Promise.all(
      Array.from({ length: Math.min(1000, records - i) }, (_, j) => {
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
          status: "pending",
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
  const seedMs = Date.now() - t0;
  const http = await listenHttp(api.app.fetch);
  const page = await browser.newPage();
  await page.goto(`${http.url}/console`);
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Open the console" }).click();
  await page.getByRole("navigation", { name: "Pages" }).waitFor();
  const openMs: number[] = [];
  for (let run = 0; run < 5; run++) {
    await page.goto(`${http.url}/console#/overview`);
    await page.getByRole("navigation", { name: "Pages" }).waitFor({ timeout: 60_000 });
    const start = Date.now();
    await page.getByRole("link", { name: "Deliveries", exact: true }).click();
    await page
      .getByRole("table", { name: "Deliveries" })
      .locator("tbody tr")
      .nth(49)
      .waitFor({ timeout: 60_000 });
    openMs.push(Date.now() - start);
  }
  await page.close();
  await http.close();
  await api.stop();
  return { records, seedMs, openMs };
}

const small = await measure(100);
const large = await measure(100_000);
await browser.close();
await redis.stop();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const result = {
  at: new Date().toISOString(),
  note: "ms from clicking Deliveries to the first page (50 rows) on screen; median of 5",
  baseline100: { median: median(small.openMs), runs: small.openMs },
  records100k: { median: median(large.openMs), runs: large.openMs, seedMs: large.seedMs },
  target: "< 1000 ms with 100,000 records",
};
await mkdir(new URL("./results/", import.meta.url), { recursive: true });
await writeFile(new URL("./results/console.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEndpointGate, DEFAULT_GATE_POLICY } from "@mailhook/store";
import { makeMail } from "@mailhook/testing";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureConsoleBuilt } from "../scripts/build-console.mjs";
import { axe, hasChromium, hasText, isDisabled, launchChromium, SCREENSHOTS } from "./support/browser.js";
import { useInstallation } from "./support/installation.js";
import { parkedMailbox } from "./support/records.js";
import { waitUntil } from "./support/stack.js";
import { useWorld } from "./support/world.js";

const CONSOLE_DIR = fileURLToPath(new URL("../packages/console/dist/", import.meta.url));
const world = useWorld();
const start = useInstallation(world, { consoleDir: CONSOLE_DIR });
let browser: Browser;

beforeAll(async () => {
  if (!hasChromium) return;
  await ensureConsoleBuilt();
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
});

const T = { timeout: 20_000 };
// Each flow is long (a dozen pages and real deliveries); on a loaded 2-core machine the first takes
// about a minute, so its budget is wider than the suite's default. Every step waits on a condition.

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function noViolations(page: Page, what: string) {
  const v = await axe(page);
  expect(v, `${what}: ${JSON.stringify(v, null, 1)}`).toEqual([]);
}

async function signIn(page: Page, url: string, token: string) {
  await page.goto(`${url}/console`);
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Open the console" }).click();
  await page.getByRole("navigation", { name: "Pages" }).waitFor(T);
}

/** A signed-in page that accepts every confirmation and keeps what each one asked. */
async function signedInPage(url: string, token: string): Promise<{ page: Page; dialogs: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const dialogs: string[] = [];
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.accept();
  });
  await signIn(page, url, token);
  return { page, dialogs };
}

describe.skipIf(!hasChromium)("the console in headless Chromium, against a real api", () => {
  it("mailbox → endpoint → rule in the editor → dry run → delivery → failure → replay", async () => {
    const inst = await start();
    const user = await world.dovecot.createUser("console");
    const { page, dialogs } = await signedInPage(inst.url, inst.token);
    // The token is in this tab's sessionStorage only, never a cookie.
    expect(await page.evaluate('sessionStorage.getItem("mailhook.token")')).toBe(inst.token);
    expect(await page.context().cookies()).toEqual([]);

    // Mailboxes: add one; the server logs in first, then the live state turns connected.
    await page.getByRole("link", { name: "Mailboxes" }).click();
    const add = page.getByRole("region", { name: "Add a mailbox" });
    await add.getByLabel("Address").fill(`${user.user}@example.test`);
    await add.getByLabel("IMAP host").fill("127.0.0.1");
    await add.getByLabel("Port").fill(String(world.dovecot.port));
    await add.getByLabel("TLS").selectOption("none");
    await add.getByLabel("User").fill(user.user);
    await add.getByLabel("Password").fill("wrong-password");
    await add.getByRole("button", { name: "Add mailbox" }).click();
    await hasText(add.getByRole("alert"), "MAILBOX_VERIFY_FAILED");
    await add.getByLabel("Password").fill(user.pass);
    await add.getByRole("button", { name: "Add mailbox" }).click();
    const boxes = page.getByRole("table", { name: "Mailboxes" });
    await boxes.getByText("INBOX: ").getByText("connected").waitFor(T);
    await page.getByRole("button", { name: `Test connection of ${user.user}@example.test` }).click();
    await hasText(boxes.getByRole("status"), "Connected in");
    // Edit it: a wrong password is refused with the server's answer and changes nothing; then the
    // new address is saved after the server accepted the (kept) login.
    const address = `${user.user}@example.test`;
    await page.getByRole("button", { name: `Edit ${address}` }).click();
    const edit = page.getByRole("region", { name: `Edit mailbox ${address}` });
    await edit.getByLabel("Address").fill(`desk-${address}`);
    await edit.getByLabel("Password (empty: keep)").fill("wrong-password");
    await edit.getByRole("button", { name: "Test and save" }).click();
    await hasText(edit.getByRole("alert"), "MAILBOX_VERIFY_FAILED");
    expect((await inst.client.mailboxes.list()).data[0]?.address).toBe(address);
    await noViolations(page, "mailbox editor");
    await shot(page, "mailbox-edit");
    await edit.getByLabel("Password (empty: keep)").fill("");
    await edit.getByRole("button", { name: "Test and save" }).click();
    await page.getByText(`Saved desk-${address}: the server accepted the login.`).waitFor(T);
    await boxes.getByText(`desk-${address}`).waitFor(T);
    expect((await inst.client.mailboxes.list()).data[0]?.address).toBe(`desk-${address}`);
    await noViolations(page, "mailboxes");
    await shot(page, "mailboxes");

    // Endpoints: create one; the secret is shown once.
    await page.getByRole("link", { name: "Endpoints" }).click();
    await page.getByLabel("URL").fill(`${world.receiver.url}/console-hook`);
    await page.getByRole("button", { name: "Create endpoint" }).click();
    await hasText(page.locator(".secret"), /^whsec_/);
    const ep = (await inst.client.endpoints.list()).data[0];
    expect(ep).toBeDefined();
    await page.getByRole("button", { name: "I have stored it" }).click();
    // Its circuit, and a signed test event with the receiver's answer.
    const eps = page.getByRole("table", { name: "Endpoints" });
    await hasText(eps, "circuit closed");
    await page.getByRole("button", { name: `Send test event to ${ep?.id}` }).click();
    await hasText(eps.getByRole("status"), /^Test event: HTTP 200 in \d+ ms/);
    const tested = world.receiver.requests.filter(
      (r) => r.path === "/console-hook" && JSON.parse(r.body).type === "endpoint.test",
    );
    expect(tested).toHaveLength(1);
    await noViolations(page, "endpoints");
    await shot(page, "endpoints");

    // Rules: a rule built in the condition editor, with regex validation as you type.
    await page.getByRole("link", { name: "Rules" }).click();
    await page.getByRole("button", { name: "New rule" }).click();
    const editor = page.getByRole("region", { name: "Rule editor" });
    await editor.getByLabel("Name").fill("Invoices");
    await editor.getByLabel("Webhook endpoint").selectOption(ep?.id ?? "");
    await editor.getByLabel("Operator").selectOption("matches");
    await editor.getByLabel("Regular expression").fill("invoice(");
    await hasText(editor.getByRole("list", { name: "Problems" }), "rules[0].when.value");
    expect(await isDisabled(editor.getByRole("button", { name: "Save rule" }))).toBe(true);
    await editor.getByLabel("Regular expression").fill("invoice|rechnung");
    await editor.getByLabel("Flags").fill("i");
    await editor.getByRole("list", { name: "Problems" }).waitFor({ state: "detached", ...T });
    // A second action outside the YAML view: flag the message once the webhook was delivered.
    await editor.getByLabel("New action").selectOption("flag");
    await editor.getByRole("button", { name: "Add action" }).click();
    await editor.getByLabel("Add flags (comma-separated) (action 2)").fill("$Processed");
    await editor.getByLabel("Only after the webhook was delivered (action 2)").check();
    const yaml = await editor.getByLabel("YAML (as in mailhook.yaml's rules:)").inputValue();
    expect(yaml).toMatch(/- type: flag\n\s+add:\n\s+- \$Processed\n\s+after: webhook\n/);
    expect(yaml).toContain(
      "- name: Invoices\n  when:\n    field: subject\n    op: matches\n    value: invoice|rechnung\n    flags: i\n",
    );
    await noViolations(page, "rule editor");
    await shot(page, "rules-editor");

    // Dry run of the rule being edited on a pasted message: the explanation tree.
    const dry = page.getByRole("region", { name: "Dry run" });
    await dry
      .getByLabel("Message source (.eml): paste it, drop a file here, or choose one")
      .fill("From: Ann <ann@vendor.test>\r\nSubject: Rechnung 42\r\n\r\nhello\r\n");
    await dry.getByRole("button", { name: "Dry-run this message" }).click();
    const result = dry.getByRole("region", { name: "Dry run result" });
    await hasText(result, "✓ matched");
    await hasText(
      result.getByRole("listitem", { name: 'subject matches "invoice|rechnung": true' }),
      'saw "Rechnung 42"',
    );
    // …and the payload the webhook would carry, as the worker builds it.
    const payload = result.getByRole("region", { name: `Payload to ${ep?.id}` });
    await hasText(payload, '"type": "message.matched"');
    await hasText(payload, '"subject": "Rechnung 42"');
    await shot(page, "dry-run");
    await editor.getByRole("button", { name: "Save rule" }).click();
    await hasText(page.getByRole("table", { name: "Rules" }), "Invoices");
    await noViolations(page, "rules");
    await shot(page, "rules");

    // A mail arrives: its delivery appears in the log.
    await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "Invoice 1" }));
    await page.getByRole("link", { name: "Deliveries" }).click();
    const log = page.getByRole("table", { name: "Deliveries" });
    await waitUntil(
      async () => {
        await page.getByRole("button", { name: "Refresh" }).click();
        return (await log.getByText("delivered").count()) === 1;
      },
      20_000,
      "the delivery in the log",
    );
    // Its ack-then-act follow-up runs once the webhook was delivered; the end-to-end latency shows.
    await log.getByRole("link").first().click();
    const first = page.getByRole("region", { name: /^Delivery / });
    const follow = first.getByRole("region", { name: "Follow-up actions" });
    await waitUntil(
      async () => {
        await first.getByRole("button", { name: "Refresh" }).click();
        return (await follow.getByText("done", { exact: true }).count()) === 1;
      },
      20_000,
      "the follow-up done",
    );
    await hasText(follow, "flag: add $Processed");
    await hasText(first, /end to end \d+ ms/);
    await shot(page, "delivery-follow-ups");

    // The receiver fails: the next delivery goes dead; the console shows why and replays it.
    world.receiver.setHandler(() => ({ status: 500, body: "receiver down" }));
    await world.dovecot.append(user.user, "INBOX", await makeMail({ subject: "Invoice 2" }));
    await waitUntil(
      async () => (await inst.client.deliveries.list({ status: "dead" })).data.length === 1,
      30_000,
      "dead",
    );
    await page.getByLabel("Status").selectOption("dead");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await log.getByText("dead").waitFor(T);
    await log.getByRole("link").first().click();
    const detail = page.getByRole("region", { name: /^Delivery / });
    await hasText(detail, "receiver down");
    await hasText(detail, '"subject": "Invoice 2"');
    await hasText(detail.getByRole("region", { name: "Follow-up actions" }), "IMAP actions not run");
    await noViolations(page, "deliveries");
    await shot(page, "deliveries");
    world.receiver.setHandler(() => ({ status: 200, body: "ok" }));
    await detail.getByRole("button", { name: "Replay this delivery" }).click();
    await hasText(detail.getByRole("status"), "Replay queued.");
    expect(dialogs.some((d) => d.startsWith("Send delivery "))).toBe(true);
    await waitUntil(
      async () => (await inst.client.deliveries.list({ status: "delivered" })).data.length === 2,
      20_000,
      "replayed",
    );
    await detail.getByRole("button", { name: "Refresh" }).click();
    await detail.getByText("delivered", { exact: true }).waitFor(T);

    await page.getByRole("link", { name: "Overview" }).click();
    const hour = page.getByRole("region", { name: "The last hour" });
    await hour.getByText("2 deliveries").waitFor(T);
    const latency = await hour
      .getByRole("img", { name: /^Median end-to-end latency/ })
      .getAttribute("aria-label");
    expect(Number(latency?.match(/highest (\d+) ms/)?.[1])).toBeGreaterThan(1);
    await noViolations(page, "overview");
    await shot(page, "overview");
    await page.close();
  }, 180_000);

  it("read-only tokens see everything and change nothing; keyboard alone reorders rules", async () => {
    const inst = await start();
    const ep = await inst.client.endpoints.create({ url: `${world.receiver.url}/x` });
    for (const id of ["first", "second"])
      await inst.client.rules.create({ id, name: id, actions: [{ type: "webhook", endpoint: ep.id }] });

    const ro = await browser.newPage();
    await signIn(ro, inst.url, inst.readOnlyToken);
    await hasText(ro.getByRole("note"), "this token is read-only");
    await ro.getByRole("link", { name: "Rules" }).click();
    await hasText(ro.getByRole("table", { name: "Rules" }), "second");
    const newRule = ro.getByRole("button", { name: "New rule" });
    expect(await isDisabled(newRule)).toBe(true);
    expect(await newRule.getAttribute("title")).toBe("this token is read-only");
    expect(
      await isDisabled(ro.getByRole("button", { name: "Disable first (this token is read-only)" })),
    ).toBe(true);
    await ro.getByRole("link", { name: "Endpoints" }).click();
    expect(await isDisabled(ro.getByRole("button", { name: "Create endpoint" }))).toBe(true);
    const send = ro.getByRole("button", { name: `Send test event to ${ep.id} (this token is read-only)` });
    expect(await isDisabled(send)).toBe(true);
    expect(await send.getAttribute("title")).toBe("this token is read-only");
    await hasText(ro.getByRole("table", { name: "Endpoints" }), "circuit closed");
    // The workers' breaker opens after its failures: the page shows it open, and until when.
    const gate = createEndpointGate(inst.stack.redis, inst.stack.prefix);
    for (let i = 0; i < DEFAULT_GATE_POLICY.failureThreshold; i++) {
      const entry = await gate.enter(inst.tenantId, ep.id);
      if (entry.ok) await gate.leave(inst.tenantId, ep.id, entry.token, "down");
    }
    await ro.reload();
    await hasText(
      ro.getByRole("table", { name: "Endpoints" }),
      /circuit open\s*open until .+: no attempts until then/,
    );
    await ro.close();

    const page = await browser.newPage();
    await signIn(page, inst.url, inst.token);
    await page.getByRole("link", { name: "Rules" }).click();
    const up = page.getByRole("button", { name: "Move up second" });
    await up.waitFor(T);
    await up.focus();
    await page.keyboard.press("Enter");
    await waitUntil(
      async () => (await inst.client.rules.list()).data.map((r) => r.id).join() === "second,first",
      15_000,
      "reordered",
    );
    // Tab order starts at the page navigation.
    await page.reload();
    await page.getByRole("table", { name: "Rules" }).waitFor(T);
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement?.textContent")).toBe("Overview");

    // Resources from mailhook.yaml are shown with their badge and not editable here (the API's 409).
    const now = new Date().toISOString();
    await inst.stack.store.putEndpoint({
      ...(await inst.stack.store.getEndpoint(inst.tenantId, ep.id))!,
      id: "ep_file",
      managed: "file",
      updatedAt: now,
    });
    await inst.stack.store.putMailbox(
      parkedMailbox(inst.tenantId, "mbx_file", {
        address: "file@example.test",
        managed: "file",
        updatedAt: now,
      }),
    );
    const FILE = "managed by mailhook.yaml: change it in the file";
    await page.getByRole("link", { name: "Endpoints" }).click();
    expect(await isDisabled(page.getByRole("button", { name: `Rotate secret of ep_file (${FILE})` }))).toBe(
      true,
    );
    // A test event changes nothing: allowed on a file-managed endpoint too.
    expect(await isDisabled(page.getByRole("button", { name: "Send test event to ep_file" }))).toBe(false);
    await page.getByRole("link", { name: "Mailboxes" }).click();
    const editFile = page.getByRole("button", { name: `Edit file@example.test (${FILE})` });
    expect(await isDisabled(editFile)).toBe(true);
    expect(await editFile.getAttribute("title")).toBe(FILE);
    await expect(
      inst.client.mailboxes.update("mbx_file", { address: "x@example.test" }),
    ).rejects.toMatchObject({
      status: 409,
      code: "MANAGED_BY_FILE",
    });
    await page.close();
  }, 90_000);

  it("dry run on a mailbox's latest messages; replay every failed delivery of an endpoint", async () => {
    const inst = await start();
    const user = await world.dovecot.createUser("console-bulk");
    const address = `${user.user}@example.test`;
    const ep = await inst.client.endpoints.create({ url: `${world.receiver.url}/bulk` });
    await inst.client.rules.create({
      id: "orders",
      name: "Orders",
      when: { field: "subject", op: "contains", value: "order" },
      actions: [{ type: "webhook", endpoint: ep.id }],
    });
    const mbx = await inst.client.mailboxes.create({
      address,
      host: "127.0.0.1",
      port: world.dovecot.port,
      tls: "none",
      tlsVerify: false,
      auth: { type: "password", user: user.user, password: user.pass },
    });
    await waitUntil(
      async () => (await inst.client.mailboxes.status(mbx.id)).state === "connected",
      15_000,
      "connected",
    );
    // 422: a permanent refusal, failed at the first attempt (5xx would retry, and two deliveries
    // failing together would open the endpoint's circuit and hold them pending). "Replay all failed and dead"
    // takes failed and dead-lettered deliveries alike.
    world.receiver.setHandler(() => ({ status: 422, body: "bulk receiver refuses" }));
    try {
      for (const subject of ["Order 1", "Order 2", "Newsletter"])
        await world.dovecot.append(user.user, "INBOX", await makeMail({ subject }));
      // Polled twice a second: the API's rate limit counts these requests too.
      const statuses = async () => {
        await new Promise((r) => setTimeout(r, 500));
        return (await inst.client.deliveries.list({ endpointId: ep.id })).data.map((d) => d.status);
      };
      let seen: string[] = [];
      await waitUntil(
        async () => {
          seen = await statuses();
          return seen.join() === "failed,failed";
        },
        30_000,
        "two failed deliveries",
      ).catch((err) => {
        throw new Error(`${String(err)}; deliveries of the endpoint: ${seen.join() || "none"}`);
      });

      const { page, dialogs } = await signedInPage(inst.url, inst.token);

      // The saved rules against the mailbox's latest 3 messages: one explanation per message.
      await page.getByRole("link", { name: "Rules" }).click();
      const dry = page.getByRole("region", { name: "Dry run" });
      await dry.getByLabel("Mailbox").selectOption({ label: address });
      await dry.getByLabel("Latest messages").fill("3");
      await dry.getByRole("button", { name: "Dry-run the latest" }).click();
      const result = dry.getByRole("region", { name: "Dry run result" });
      for (const subject of ["Order 1", "Order 2", "Newsletter"]) await hasText(result, `“${subject}”`);
      expect(await result.getByText("✓ matched").count()).toBe(2);
      expect(await result.getByText("✗ did not match").count()).toBe(1);
      await hasText(
        result.getByRole("region", { name: `Payload to ${ep.id}` }).first(),
        '"type": "message.matched"',
      );

      // Every failed delivery of the endpoint replayed at once, after a confirmation.
      world.receiver.setHandler(() => ({ status: 200, body: "ok" }));
      await page.getByRole("link", { name: "Deliveries" }).click();
      const filters = page.getByRole("form", { name: "Filter deliveries" });
      await filters.getByLabel("Endpoint").fill(ep.id);
      await filters.getByRole("button", { name: "Apply filters" }).click();
      await page.getByRole("button", { name: `Replay all failed and dead of ${ep.id}` }).click();
      await hasText(page.getByRole("status").filter({ hasText: "replayed" }), "2 replayed, 0 skipped");
      expect(dialogs).toContain(`Replay every failed or dead-lettered delivery of endpoint ${ep.id}?`);
      await waitUntil(
        async () => (await statuses()).join() === "delivered,delivered",
        20_000,
        "both replayed",
      );
      await noViolations(page, "deliveries filtered by endpoint");
      await page.close();
    } finally {
      world.receiver.setHandler(() => ({ status: 200, body: "ok" }));
    }
  }, 180_000);
});

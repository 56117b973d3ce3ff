#!/usr/bin/env node
// `npm run demo:send`: puts a test message into the demo mailbox of `npm start -- --demo` with an
// IMAP APPEND (the way a mail server delivers), using what the demo wrote to .data/demo/demo.json.
import { readFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { root } from "../lib/bootstrap.mjs";

const dir = join(process.env.MAILHOOK_DATA_DIR ?? join(root, ".data"), "demo");
const demo = JSON.parse(readFileSync(join(dir, "demo.json"), "utf8"));
const subject = process.argv[2] ?? `Hello from the demo (${new Date().toISOString()})`;
const mail = [
  "From: Demo Sender <sender@example.test>",
  `To: ${demo.user}`,
  `Subject: ${subject}`,
  `Date: ${new Date().toUTCString()}`,
  `Message-ID: <${Date.now()}.demo@example.test>`,
  "Content-Type: text/plain; charset=utf-8",
  "",
  "It works: this message became a signed webhook.",
  "",
].join("\r\n");
const quote = (v) => `"${v.replace(/["\\]/g, "\\$&")}"`;
const s = net.connect(demo.imapPort, "127.0.0.1");
s.setEncoding("utf8");
let buf = "";
let waiting = null;
s.on("data", (d) => {
  buf += d;
  waiting?.();
});
s.on("error", (err) => {
  process.stderr.write(
    `cannot reach the demo IMAP server (is npm start -- --demo running?): ${err.message}\n`,
  );
  process.exit(1);
});
/** Resolves once the server's output so far matches `re`; a NO/BAD answer ends the command. */
const expect = (re) =>
  new Promise((resolve) => {
    waiting = () => {
      if (/^[abc] (NO|BAD)/m.test(buf)) {
        process.stderr.write(`the demo IMAP server refused: ${buf.trim()}\n`);
        process.exit(1);
      }
      if (re.test(buf)) {
        buf = "";
        waiting = null;
        resolve();
      }
    };
    waiting();
  });
await expect(/^\* OK/m);
s.write(`a LOGIN ${quote(demo.user)} ${quote(demo.pass)}\r\n`);
await expect(/^a OK/m);
s.write(`b APPEND INBOX {${Buffer.byteLength(mail)}}\r\n`);
await expect(/^\+/m);
s.write(`${mail}\r\n`);
await expect(/^b OK/m);
s.write("c LOGOUT\r\n");
await expect(/^c OK/m);
s.end();
process.stdout.write(`sent "${subject}" to ${demo.user}\n`);

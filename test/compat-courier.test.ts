import { debianServersUnavailable, startCourier } from "@mailhook/testing";
import { compatSuite } from "./compat/scenarios.js";

// Courier IMAP 5.0: INBOX. namespace, no [UIDNEXT] on SELECT, no MOVE (COPY + \Deleted + UID
// EXPUNGE), no SPECIAL-USE (a delete needs trashFolder), realtime IDLE through gamin.
compatSuite("courier", () => startCourier(), debianServersUnavailable());

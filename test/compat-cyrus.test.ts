import { debianServersUnavailable, startCyrus } from "@mailhook/testing";
import { compatSuite } from "./compat/scenarios.js";

// Cyrus IMAP 3.6: INBOX. namespace, MOVE, SPECIAL-USE (flags in lower case), immediate IDLE push.
compatSuite("cyrus", startCyrus, debianServersUnavailable());

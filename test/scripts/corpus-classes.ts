import type { Classifier } from "./corpus-compare.js";

const VALID_TYPE = /^[^/\s]+\/[^/\s]+$/;

/**
 * The documented, justified difference classes between the partial fetch and mailparser's full
 * parse (docs/fetch-planner.md lists them with counts). Each class names the fields it may
 * explain and is detected from the message itself, so a bug in another field stays unexplained.
 */
export const classifyDifference: Classifier = (_msg, field, fetched, full) => {
  // A message/rfc822 part with Content-Disposition: inline. mailparser descends into it and
  // reads its body and attachments as this message's; mailhook never reads a forwarded
  // message's content (it is one attachment), whatever its disposition.
  if (
    (field === "text" || field === "attachments") &&
    fetched.attachments.some((a) => a.contentType === "message/rfc822" && a.inline)
  ) {
    return "inline-message-rfc822";
  }
  // A Content-Type without the `;` before its parameters (`TEXT/PLAIN charset=US-ASCII`).
  // Dovecot reports it as NIL and mailhook reads the part as text/plain (RFC 2045 5.2);
  // mailparser takes the whole value as the type and makes the body an attachment.
  if (
    (field === "text" || field === "attachments") &&
    full.attachments.some((a) => !VALID_TYPE.test(a.contentType))
  ) {
    return "malformed-content-type";
  }
  // An unquoted parameter with a space (`filename=Yinxiang Motorcycles.doc`): Dovecot ends the
  // token at the space as RFC 2045 says, mailparser takes the rest of the line. The content
  // type differs with it, as octet-stream is refined from the file name's extension.
  if (
    field === "attachments" &&
    fetched.attachments.length === full.attachments.length &&
    fetched.attachments.some((a, i) => {
      const other = full.attachments[i]?.filename;
      return a.filename !== null && other?.startsWith(`${a.filename} `) === true;
    })
  ) {
    return "unquoted-parameter-with-space";
  }
  return null;
};

export type { Api, ApiDeps } from "./app.js";
export { createApp } from "./app.js";
export type { ApiLimits } from "./deps.js";
export { DEFAULT_LIMITS } from "./deps.js";
export type { ErrorBody, ErrorCode } from "./errors.js";
export type { OAuthHttp, RefresherDeps, RefresherOptions, TokenGrant } from "./oauth-refresh.js";
export {
  OAuthRefreshFailed,
  refreshAccessToken,
  refreshMailbox,
  startOAuthRefresher,
} from "./oauth-refresh.js";
export type { MailboxProbe, ProbeResult, ProbeTarget } from "./verify-mailbox.js";
export { createImapProbe } from "./verify-mailbox.js";

export {
  allPages,
  createClient,
  type DeliveryFilter,
  type DryRunResult,
  type MailhookClient,
  type PageOptions,
} from "./client.js";
export { type ClientErrorCode, errorFromResponse, MailhookError } from "./error.js";
export type { Answer, ClientOptions, FetchLike, RequestSpec } from "./transport.js";

export { ConfigError } from "./config-error.js";
export type { Env } from "./interpolate.js";
export { configJsonSchema } from "./json-schema.js";
export { loadConfigFile } from "./load.js";
export type { LoadedConfig } from "./parse.js";
export { parseConfig } from "./parse.js";
export type { ConfigProblem } from "./problem.js";
export {
  EndpointConfig,
  isWebhookSecret,
  MailboxConfig,
  MailhookConfig,
  Slug,
  StartFrom,
  TlsMode,
  WebhookSecret,
} from "./schema.js";

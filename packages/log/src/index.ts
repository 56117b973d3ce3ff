export type { Logger, LoggerOptions } from "./logger.js";
export { createLogger } from "./logger.js";
export { CENSOR, isSecretKey, scrub, scrubString } from "./scrub.js";

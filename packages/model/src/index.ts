export { deliveryId, folderKey, messageKey } from "./ids.js";
export { Address, AttachmentMeta, MailMessage } from "./message.js";
export type { ContentNeeds, FetchLimits } from "./needs.js";
export { DEFAULT_FETCH_LIMITS, mergeNeeds, NO_NEEDS } from "./needs.js";

export { Address, AttachmentMeta, MailMessage } from "./message.js";
export type { ContentNeeds, FetchLimits } from "./needs.js";
export { DEFAULT_FETCH_LIMITS, NO_NEEDS, mergeNeeds } from "./needs.js";
export { deliveryId, folderKey, messageKey } from "./ids.js";

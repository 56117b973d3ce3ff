/**
 * The API's request and response schemas: the api validates and documents with them, and the
 * client and CLI take their types from them, so the api stays the only owner of the contract.
 */
export { BackfillCreate, type BackfillCreateInput, BackfillView } from "./backfill.js";
export { IdempotencyHeader, IdParam, IfMatchHeader } from "./common.js";
export {
  DeliveryAttemptView,
  DeliveryQuery,
  DeliveryStatus,
  DeliverySummary,
  DeliveryView,
  FollowUpAction,
  FollowUpView,
  ReplayDeadResult,
} from "./delivery.js";
export {
  CircuitView,
  EndpointCreate,
  type EndpointCreateInput,
  EndpointHeaders,
  EndpointTestResult,
  EndpointUpdate,
  type EndpointUpdateInput,
  EndpointView,
  EndpointWithSecret,
  RotateSecret,
  type RotateSecretInput,
} from "./endpoint.js";
export { ErrorBody, ErrorCode, ErrorDetail } from "./error.js";
export {
  FolderSelection,
  FolderStatusView,
  MailboxAuth,
  MailboxCreate,
  type MailboxCreateInput,
  MailboxStatus,
  MailboxTestResult,
  MailboxUpdate,
  type MailboxUpdateInput,
  MailboxView,
  OAuth2Auth,
  PasswordAuth,
  StartPosition,
  TlsMode,
} from "./mailbox.js";
export { type Page, PageQuery, pageOf } from "./page.js";
export {
  ReorderBody,
  RuleBody,
  type RuleBodyInput,
  type RuleTestInput,
  RuleTestJson,
  RuleTestResult,
  RuleView,
} from "./rule.js";
export { TokenInfo } from "./token.js";
